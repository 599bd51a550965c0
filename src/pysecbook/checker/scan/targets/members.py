"""What an archive member may be, decided the same way whichever archive holds it.

One member classifier (:func:`admit_member`) for tar and zip: an unsafe name, a link that
leaves the archive or passes through another link, a device or an unsupported type is refused
with the same finding whichever format carried it. Also the paths members are reported under
(an sdist's single top folder removed). The streams themselves are read in
:mod:`pysecbook.checker.scan.targets.archives`.
"""

from __future__ import annotations

import posixpath
import stat
import tarfile
import zipfile
from dataclasses import dataclass

from pysecbook.checker.scan.model import Finding, SourceFile, Unscanned
from pysecbook.checker.scan.targets.reader import NESTED, Reader, finding, unsafe_name

__all__ = ["MAX_LINK_PARTS", "Member", "admit_member", "check_links", "inside_link", "refuse_link",
           "relative", "strip_sdist_prefix", "strip_top", "tar_member", "zip_member"]


@dataclass(frozen=True)
class Member:
    """One archive member, described the same way whichever format holds it."""

    name: str
    #: "file", "dir", "symlink", "hardlink", "device" or "other".
    kind: str
    size: int | None
    link: str = ""
    type_code: str = ""


def admit_member(reader: Reader, member: Member, path: str, *, sizes: bool = True) -> bool:
    """Whether to read ``member`` (stored as ``path``); a refusal is recorded, with its finding.

    ``sizes=False`` leaves the size limits to the caller (a zip checks its ratio first).
    """
    why = unsafe_name(member.name)
    if why:
        reader.refuse(path, why, finding("PSB-ARCHIVE-TRAVERSAL", path,
                      f"Archive member with an unsafe path ({why}): extracting it naively "
                      "writes outside the destination."))
        return False
    if member.kind == "dir":
        return False
    if member.kind in ("symlink", "hardlink"):
        if inside_link(member) is not None:
            # It points at another place of this archive, whose member is read there.
            reader.links.append((path, member))
            return False
        refuse_link(reader, path, member, "extraction could overwrite or expose files "
                    "outside the destination")
        return False
    if member.kind == "device":
        reader.refuse(path, "device or FIFO member: not read",
                      finding("PSB-ARCHIVE-DEVICE", path, "Archive member is a device file or "
                              "a FIFO; no distribution needs one."))
        return False
    if member.kind != "file":
        reader.refuse(path, f"unsupported member type {member.type_code!r}: not read")
        return False
    if reader.skip(path):
        return False
    return reader.admit(path, member.size) if sizes else True


#: Most folders a link's own path or its target may name (the chain check is quadratic in it).
MAX_LINK_PARTS = 256


def refuse_link(reader: Reader, path: str, member: Member, why: str) -> None:
    what = "symlink" if member.kind == "symlink" else "hard link"
    to = f" (to {member.link!r})" if member.link else ""
    reader.refuse(path, f"{what} member{to}: not followed",
                  finding("PSB-ARCHIVE-LINK", path, f"Archive member is a {what}{to}; {why}."))


def inside_link(member: Member) -> str | None:
    """Where a link member points, as a path from the archive's root, when that place is
    inside the archive; None when it is outside, absolute, or not given.

    A symbolic link is read from its own folder, a hard link from the archive's root, as tar
    and Python's ``data`` extraction filter read them. Source distributions use such links
    (``NEWS.txt`` to ``CHANGELOG``, a test's data file to the package's own); the member they
    point at is read and scanned under its own name. Whether a link passes through another
    link on its way is decided once every member is known (:func:`check_links`).
    """
    link = member.link.replace("\\", "/")
    if not link or link.startswith("/") or (len(link) > 1 and link[1] == ":") or "\x00" in link:
        return None
    base = posixpath.dirname(member.name.replace("\\", "/")) if member.kind == "symlink" else ""
    resolved = posixpath.normpath(posixpath.join(base, link))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        return None
    return resolved


def check_links(reader: Reader, members: list[str], prefix: str = "") -> None:
    """Refuse the links kept by :func:`admit_member` that leave the archive's top folder or
    pass through another link, once ``members`` (every name the archive holds) are known.

    pip extracts a source distribution without its single top folder (``demo-1.0/``), then
    refuses any link that points outside the folder it extracted into, so a link is inside
    only below that top folder, when the archive has one. And each link must stay inside
    without the help of another link: ``a/up -> ..`` stays inside, and so does
    ``a/b -> up/..`` read on its own, yet extracting both puts ``a/b`` two levels up.
    Extraction tools have been caught out by exactly such chains, so a link whose way passes
    through any link member, or a hard link to a link, is refused as a link out of the
    destination.
    """
    top = strip_top([n for n in members if not unsafe_name(n)])
    mine = [(path, m) for path, m in reader.links if path.startswith(prefix)
            and NESTED not in path[len(prefix):]]
    names = {posixpath.normpath(m.name.replace("\\", "/")) for _, m in mine}
    for path, member in mine:
        name = posixpath.normpath(member.name.replace("\\", "/"))
        resolved = inside_link(member)
        if resolved is None or not (resolved + "/").startswith(top):
            refuse_link(reader, path, member, "extraction could overwrite or expose files "
                        "outside the destination")
            continue
        base = posixpath.dirname(name) if member.kind == "symlink" else ""
        walk = [part for part in posixpath.join(base, member.link.replace("\\", "/")).split("/")
                if part not in ("", ".")]
        if len(walk) > MAX_LINK_PARTS or name.count("/") > MAX_LINK_PARTS:
            refuse_link(reader, path, member, f"its path has more than {MAX_LINK_PARTS} parts")
            continue
        steps = [posixpath.normpath("/".join(walk[:i])) for i in range(1, len(walk) + 1)]
        parents = [posixpath.normpath("/".join(name.split("/")[:i]))
                   for i in range(1, name.count("/") + 1)]
        if any(step in names and step != name for step in steps + parents):
            refuse_link(reader, path, member, "it leads through another link, and the two "
                        "together can reach outside the destination")
    reader.links = [(p, m) for p, m in reader.links
                    if not (p.startswith(prefix) and NESTED not in p[len(prefix):])]


def tar_member(info: tarfile.TarInfo) -> Member:
    if info.isdir():
        kind = "dir"
    elif info.issym():
        kind = "symlink"
    elif info.islnk():
        kind = "hardlink"
    elif info.ischr() or info.isblk() or info.isfifo():
        kind = "device"
    elif info.isreg():
        kind = "file"
    else:
        kind = "other"
    return Member(info.name, kind, info.size, info.linkname, repr(info.type))


def zip_member(info: zipfile.ZipInfo) -> Member:
    mode = info.external_attr >> 16
    if info.is_dir():
        kind = "dir"
    elif stat.S_ISLNK(mode):
        kind = "symlink"
    elif mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)):
        kind = "device"
    else:
        kind = "file"
    return Member(info.filename, kind, info.file_size)


def strip_top(names: list[str]) -> str:
    """The single top-level directory of an sdist's members (with its slash), or ''."""
    tops = {n.replace("\\", "/").lstrip("./").split("/", 1)[0] for n in names if n.strip("./")}
    if len(tops) == 1 and any("/" in n.replace("\\", "/").lstrip("./") for n in names):
        return tops.pop() + "/"
    return ""


def relative(name: str, prefix: str) -> str:
    """A member's path under the target's root, its sdist top directory removed."""
    if unsafe_name(name.split(NESTED, 1)[0]):
        return name.replace("\\", "/")  # reported under the name the archive gives it
    path = posixpath.normpath(name.replace("\\", "/"))
    path = path[2:] if path.startswith("./") else path
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def strip_sdist_prefix(reader: Reader, names: list[str]) -> None:
    """Remove an sdist's single top directory from every path read and reported."""
    prefix = strip_top([n for n in names if not unsafe_name(n)])
    reader.files[:] = [SourceFile(rel, f.data, f.mtime) for f in reader.files
                       if not reader.skip(rel := relative(f.path, prefix))]
    reader.unscanned[:] = [Unscanned(relative(u.path, prefix), u.reason, u.blocks)
                           for u in reader.unscanned]
    reader.findings[:] = [
        Finding(f.rule_id, f.source, relative(f.path, prefix), f.line, f.severity,
                f.confidence, f.cwe, f.message) for f in reader.findings
    ]
