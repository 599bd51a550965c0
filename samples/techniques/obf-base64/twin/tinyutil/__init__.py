# Near-miss twin: decodes base64 data (an icon) and never runs it.
import base64

ICON = base64.b64decode("iVBORw0KGgo=")


def icon_bytes():
    return ICON
