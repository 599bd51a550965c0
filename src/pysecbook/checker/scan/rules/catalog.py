"""What the rules recognise: calls by their qualified names, and markers in strings.

Data only. Every marker is matched as a plain substring (lower-cased, with backslashes read as
slashes) or by exact name, never by a regular expression, so reading a hostile file costs time
in proportion to its size. Book page: ``book/checklist/anatomy``.
"""

from __future__ import annotations

import re

PROCESS_CALLS = frozenset({
    "subprocess.Popen", "subprocess.run", "subprocess.call", "subprocess.check_call",
    "subprocess.check_output", "subprocess.getoutput", "subprocess.getstatusoutput",
    "os.system", "os.popen", "os.execl", "os.execle", "os.execlp", "os.execlpe", "os.execv",
    "os.execve", "os.execvp", "os.execvpe", "os.spawnl", "os.spawnle", "os.spawnlp",
    "os.spawnlpe", "os.spawnv", "os.spawnve", "os.spawnvp", "os.spawnvpe", "os.posix_spawn",
    "os.posix_spawnp", "os.startfile", "pty.spawn", "commands.getoutput",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
})
#: Calls that open a connection, resolve a name or fetch a URL.
NETWORK_CALLS = frozenset({
    "socket.socket", "socket.create_connection", "socket.socketpair", "socket.fromfd",
    "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.build_opener",
    "urllib.urlopen", "urllib.urlretrieve", "urllib2.urlopen",
    "http.client.HTTPConnection", "http.client.HTTPSConnection", "httplib.HTTPConnection",
    "httplib.HTTPSConnection", "ftplib.FTP", "ftplib.FTP_TLS", "smtplib.SMTP",
    "smtplib.SMTP_SSL", "telnetlib.Telnet", "xmlrpc.client.ServerProxy", "paramiko.SSHClient",
    "pycurl.Curl", "urllib3.PoolManager", "urllib3.request", "urllib3.connection_from_url",
    "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool", "aiohttp.ClientSession",
    "aiohttp.request", "webbrowser.open", "wget.download",
})
DNS_CALLS = frozenset({
    "socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
    "dns.resolver.resolve", "dns.resolver.query", "dns.resolver.Resolver.resolve",
})
#: Modules whose top-level request functions all go to the network.
NETWORK_CLIENTS = frozenset({"requests", "httpx", "requests.api", "httpx.api"})
NETWORK_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options",
                           "request", "stream", "Session", "Client", "AsyncClient"})
SEND_VERBS = frozenset({"post", "put", "patch"})
#: Keyword arguments that carry data out with a request.
SEND_KEYWORDS = frozenset({"data", "json", "files", "body", "params"})
#: Method names that send on a socket or a mail/FTP connection, whatever the receiver.
SEND_METHODS = frozenset({"sendall", "sendto", "sendmail", "send_message", "storbinary",
                          "storlines"})
EXEC_CALLS = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval",
                        "builtins.compile", "__builtins__.exec", "__builtins__.eval"})
DECODE_CALLS = frozenset({
    "base64.b64decode", "base64.b32decode", "base64.b16decode", "base64.b85decode",
    "base64.a85decode", "base64.decodebytes", "base64.decodestring",
    "base64.urlsafe_b64decode", "base64.standard_b64decode", "zlib.decompress",
    "bz2.decompress", "lzma.decompress", "gzip.decompress", "marshal.loads", "bytes.fromhex",
    "codecs.decode", "binascii.unhexlify", "binascii.a2b_hex", "binascii.a2b_base64",
    "binascii.a2b_uu", "bytearray.fromhex", "pickle.loads",
})
DECODE_SUFFIXES = ("b64decode", "b32decode", "b85decode", "a85decode", "decompress",
                   "fromhex", "unhexlify")
ENCODE_CALLS = frozenset({"base64.b64encode", "base64.b32encode", "base64.b16encode",
                          "base64.urlsafe_b64encode", "binascii.hexlify", "binascii.b2a_hex",
                          "codecs.encode"})
RECON_CALLS = frozenset({"getpass.getuser", "os.getlogin", "platform.node", "platform.uname",
                         "socket.gethostname", "socket.getfqdn", "uuid.getnode", "os.uname",
                         "platform.platform"})
CLIPBOARD_GET = frozenset({"pyperclip.paste", "win32clipboard.GetClipboardData",
                           "clipboard.paste", "pyclip.paste"})
CLIPBOARD_SET = frozenset({"pyperclip.copy", "win32clipboard.SetClipboardData",
                           "clipboard.copy", "pyclip.copy"})
CLIPBOARD_METHODS = {"clipboard_get": "get", "clipboard_append": "set",
                     "GetClipboardData": "get", "SetClipboardData": "set"}
SCREEN_CALLS = frozenset({"PIL.ImageGrab.grab", "ImageGrab.grab", "pyautogui.screenshot",
                          "pyscreenshot.grab", "mss.mss", "mss.mss.grab", "mss.mss.shot"})
KEYLOG_CALLS = frozenset({"pynput.keyboard.Listener", "keyboard.on_press", "keyboard.hook",
                          "keyboard.on_release", "keyboard.record", "keyboard.read_key",
                          "pynput.keyboard.Events"})
KEYLOG_METHODS = frozenset({"GetAsyncKeyState", "SetWindowsHookExA", "SetWindowsHookExW",
                            "GetKeyState"})
NATIVE_LOADS = frozenset({"ctypes.CDLL", "ctypes.WinDLL", "ctypes.PyDLL", "ctypes.OleDLL",
                          "ctypes.cdll.LoadLibrary", "ctypes.windll.LoadLibrary",
                          "ctypes.WinDLL.LoadLibrary", "_ctypes.dlopen", "ctypes.LibraryLoader"})
NATIVE_LOAD_METHODS = frozenset({"LoadLibrary", "LoadLibraryA", "LoadLibraryW", "LoadLibraryExW"})
#: Allocate executable memory, copy into it, start a thread there: shellcode injection.
SHELLCODE_STEPS = {"VirtualAlloc": "alloc", "VirtualAllocEx": "alloc", "mmap.mmap": "alloc",
                   "RtlMoveMemory": "copy", "WriteProcessMemory": "copy", "memmove": "copy",
                   "CreateThread": "run", "CreateRemoteThread": "run", "CFUNCTYPE": "run"}
IMAGE_OPENS = frozenset({"PIL.Image.open", "Image.open", "cv2.imread", "imageio.imread",
                         "imageio.v3.imread"})
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff",
                  ".wav", ".mp3")
DATA_SUFFIXES = IMAGE_SUFFIXES + (".dat", ".bin", ".db", ".jar")
WALK_CALLS = frozenset({"os.walk", "glob.glob", "glob.iglob", "os.scandir", "os.listdir"})
DYNAMIC_IMPORTS = frozenset({"__import__", "importlib.import_module", "builtins.__import__"})
#: Names an attacker hides behind string tricks: modules and callables that run code.
DANGEROUS_NAMES = frozenset({
    "os", "subprocess", "socket", "builtins", "__builtin__", "ctypes", "base64", "marshal",
    "zlib", "urllib", "urllib.request", "requests", "http.client", "pty", "shutil", "sys",
    "exec", "eval", "compile", "system", "popen", "Popen", "run", "call", "check_output",
    "__import__", "getattr", "open", "urlopen", "b64decode", "loads", "spawn", "startfile",
})
BUILTINS_NAMES = frozenset({"__builtins__", "builtins", "__builtin__"})

STARTUP_FILES = ("sitecustomize", "usercustomize", ".bashrc", ".bash_profile", ".bash_login",
                 ".profile", ".zshrc", ".zprofile", ".zshenv", ".zlogin", ".cshrc", ".tcshrc",
                 ".kshrc", "config.fish", "powershell_profile.ps1", "microsoft.powershell_profile")
#: Where autostart entries live (lower case, slashes): cron, systemd, login items, Run keys.
AUTOSTART_MARKERS = ("/etc/cron", "/var/spool/cron", "crontab", "/etc/systemd/system",
                     ".config/systemd/user", "systemd/user/", "/etc/init.d", "/etc/rc.local",
                     "currentversion/run", "start menu/programs/startup", "shell:startup",
                     ".config/autostart", "library/launchagents", "library/launchdaemons",
                     "/etc/profile.d")
AUTOSTART_COMMANDS = ("crontab", "systemctl enable", "systemctl --user enable", "schtasks",
                      "launchctl load", "launchctl bootstrap", "reg add", "update-rc.d")
REGISTRY_WRITES = frozenset({"winreg.SetValueEx", "winreg.SetValue", "_winreg.SetValueEx",
                             "winreg.CreateKey", "winreg.CreateKeyEx"})
#: Secret stores, by what they hold (lower case, slashes).
SECRET_MARKERS = (
    ("SSH keys", (".ssh/", "id_rsa", "id_ed25519", "id_ecdsa", "id_dsa")),
    ("cloud credentials", (".aws/credentials", ".azure/", "gcloud/credentials",
                           "application_default_credentials.json", ".kube/config",
                           ".docker/config.json")),
    ("package index and Git tokens", (".pypirc", ".npmrc", ".netrc", ".git-credentials",
                                      "gh/hosts.yml")),
    ("browser profiles and cookies", ("login data", "local state", "cookies.sqlite",
                                      "logins.json", "key4.db", "mozilla/firefox",
                                      "google/chrome/user data", "bravesoftware",
                                      "microsoft/edge/user data", "opera software",
                                      "network/cookies", "/default/cookies")),
    ("chat tokens", ("discord/local storage", "discordcanary", "discordptb",
                     "local storage/leveldb", "telegram desktop/tdata", "slack/cookies")),
    ("crypto wallets", ("wallet.dat", "exodus.wallet", "electrum/wallets", "metamask",
                        "nkbihfbeogaeaoehlefnkodbefgpgknn", ".bitcoin/", "ethereum/keystore",
                        "atomic/local storage")),
    ("system accounts", ("/etc/passwd", "/etc/shadow", "login.keychain", ".gnupg/")),
)
#: Environment variables that hold credentials (upper case).
SECRET_VARIABLE_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "ACCESS_KEY",
                         "PRIVATE_KEY", "CREDENTIAL", "SESSION_KEY", "WEBHOOK")
#: Shady destinations by registered domain (exact host or a subdomain of it).
SHADY_DOMAINS = {
    "a paste site": ("pastebin.com", "paste.ee", "hastebin.com", "ghostbin.com", "rentry.co",
                     "dpaste.com", "termbin.com", "paste.rs", "controlc.com", "pastes.io"),
    "a file drop": ("transfer.sh", "file.io", "gofile.io", "catbox.moe", "anonfiles.com",
                    "temp.sh", "0x0.st", "bashupload.com", "filebin.net"),
    "a tunnel": ("ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com", "serveo.net",
                 "loca.lt", "localtunnel.me", "pagekite.me", "bore.pub", "localhost.run"),
    "a URL shortener": ("bit.ly", "tinyurl.com", "is.gd", "t.ly", "cutt.ly", "rb.gy", "goo.gl",
                        "ow.ly", "shorturl.at", "rebrand.ly", "v.gd"),
    "a request catcher": ("webhook.site", "pipedream.net", "requestbin.com",
                          "requestcatcher.com", "beeceptor.com", "interact.sh", "oast.fun",
                          "oast.pro", "oast.live", "oast.site", "oast.online", "oast.me",
                          "burpcollaborator.net", "canarytokens.com", "dnslog.cn", "ceye.io"),
    "a public-IP lookup": ("api.ipify.org", "ipinfo.io", "ifconfig.me", "icanhazip.com",
                           "checkip.amazonaws.com", "ip-api.com", "ipapi.co"),
}
#: Host labels that name such a service whatever the top-level domain.
SHADY_LABELS = {"pastebin": "a paste site", "hastebin": "a paste site", "ghostbin": "a paste site",
                "ngrok": "a tunnel", "trycloudflare": "a tunnel", "pipedream": "a request catcher",
                "requestbin": "a request catcher", "interactsh": "a request catcher",
                "burpcollaborator": "a request catcher", "canarytokens": "a request catcher",
                "dnslog": "a request catcher", "ipify": "a public-IP lookup",
                "transfersh": "a file drop", "gofile": "a file drop"}
#: Packers and obfuscators whose output runs an opaque blob at import.
PACKER_MARKERS = (b"__pyarmor__", b"pyarmor_runtime", b"__pyarmor_enter", b"PY_ARMOR",
                  b"pytransform", b"Obfuscated with pyobfuscate", b"BlankOBF",
                  b"Hyperion obfuscator", b"__obfuscator__")
#: Commands that publish packages or push code elsewhere (self-propagation).
PUBLISH_COMMANDS = ("twine upload", "twine', 'upload", "setup.py upload", "setup.py sdist upload",
                    "npm publish", "poetry publish", "flit publish", "uv publish",
                    "hatch publish", "gem push")
#: A form field of the index's legacy upload API.
UPLOAD_FORM_FIELD = ":action"
#: Shell fragments of reverse shells: each one wires a shell to the network by itself.
REVERSE_SHELL_MARKERS = ("/dev/tcp/", "/dev/udp/", "nc -e", "ncat -e", "nc.traditional -e",
                         "socat exec:", "socat tcp", "-nop -w hidden", "invoke-powershelltcp")
#: Fragments of a reverse shell that are ordinary on their own (an interactive shell, a
#: named pipe): a reverse shell only beside a network tool in the same command.
SHELL_HALVES = ("bash -i", "sh -i", "mkfifo")
NETWORK_TOOLS = ("nc ", "ncat ", "netcat ", "socat ", "telnet ", "openssl s_client")
#: Shell fragments that fetch and run in one line.
FETCH_TOOLS = ("curl ", "wget ", "invoke-webrequest", "iwr ", "certutil -urlcache",
               "bitsadmin /transfer", "invoke-expression", "iex(", "iex (")
PIPE_TO_SHELL = ("| sh", "|sh", "| bash", "|bash", "| python", "|python", "| iex", "|iex",
                 "&& chmod +x", "; chmod +x", "&& ./", "; ./", "-outfile", "| powershell")
#: Shell fragments and settings that hide a process from the user.
SILENT_MARKERS = ("nohup ", "setsid ", "disown", "> /dev/null 2>&1", ">/dev/null 2>&1",
                  "2>&1 >/dev/null", "-windowstyle hidden", "start /b", "pythonw")
#: A shell's background operator, ``cmd &``: not ``&&``, nor a redirection (``&>``, ``>&``).
BACKGROUND = re.compile(r"(?<![&>|])\s&(?![&>])")
#: Host name suffixes a lookup resolves without leaving the local network.
LOCAL_SUFFIXES = (".local", ".localdomain", ".localhost", ".lan", ".home", ".internal",
                  ".home.arpa")
SILENT_FLAGS = frozenset({"CREATE_NO_WINDOW", "DETACHED_PROCESS", "CREATE_NEW_PROCESS_GROUP",
                          "SW_HIDE", "STARTF_USESHOWWINDOW"})
SILENT_FLAG_VALUES = frozenset({0x08000000, 0x00000008})
#: Regular-expression fragments of crypto-wallet addresses (a clipboard hijacker's search).
WALLET_PATTERNS = ("0x[a-fa-f0-9]{40}", "[13][a-km-za-hj-np-z1-9]{25,34}", "bc1",
                   "[48][0-9ab][1-9a-hj-np-za-km-z]{93}", "t1[a-za-z0-9]{33}")
INTERPRETER_INLINE = ("python -c", "python3 -c", "pythonw -c", "powershell -e",
                      "powershell -enc", "-encodedcommand")
#: Suffixes of native programs and libraries a package might write and then load.
NATIVE_SUFFIXES_WRITE = (".so", ".pyd", ".dll", ".dylib", ".exe", ".bin", ".scr")
