# Near-miss twin: reads the user's theme setting from the registry.
try:
    import winreg
except ImportError:
    winreg = None


def dark_mode():
    key = winreg.OpenKey(winreg.HKEY_CURRENT_USER,
                         r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize")
    return winreg.QueryValueEx(key, "AppsUseLightTheme")[0] == 0
