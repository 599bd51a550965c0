# Near-miss twin: messages in several scripts, right-to-left text included, no control characters.
GREETINGS = {"fr": "Bonjour, ça va ?", "ar": "مرحبا", "he": "שלום", "ja": "こんにちは"}


def greet(language):
    return GREETINGS.get(language, "Hello")
