"""Reading untrusted REFI-QDA files safely: zip members and XML.

A ``.qdpx`` comes from another person's software: it is treated as hostile. Nothing is ever
extracted to disk; members are read into memory after their names and sizes are checked:

- names: no ``..`` component, no absolute path (``/x``, ``\\x``), no drive letter (``C:``), no NUL,
  no symbolic link, no duplicate (also case-insensitively) -> the whole archive is refused;
- sizes: number of members, declared size of each member and of all members, and the ratio
  uncompressed / compressed are checked from the central directory, then the bytes actually
  inflated are counted while reading (a lying header cannot get past the limits);
- XML: parsed by lxml with entities not substituted, no DTD loaded, no network, no huge tree;
  any ``<!DOCTYPE``/``<!ENTITY`` is refused (REFI-QDA never needs one: billion laughs, XXE).

Every problem raises :class:`~transitions_analysis.core.errors.QDAError` with a French message naming the
file and the member or element.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from ..core.errors import QDAError

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to an untrusted archive (bytes are uncompressed sizes)."""

    max_members: int = 20_000
    max_member_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 200.0
    # below this size a member's ratio is not checked (tiny files compress oddly)
    ratio_floor_bytes: int = 1024 * 1024


DEFAULT_LIMITS = Limits()


def _member_problem(name: str, info: zipfile.ZipInfo) -> str | None:
    """French reason why member ``name`` is refused, or None."""
    if "\x00" in name:
        return "nom contenant un caractère nul"
    unified = name.replace("\\", "/")
    if unified.startswith("/"):
        return "chemin absolu"
    if _DRIVE_RE.match(unified):
        return "chemin avec lettre de lecteur"
    if ".." in PurePosixPath(unified).parts:
        return "chemin sortant de l'archive (« .. »)"
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        return "lien symbolique"
    return None


class SafeArchive:
    """A zip archive opened for reading with names and sizes checked (see module docstring).

    ``names`` lists the file members (folders left out). ``read(name)`` returns the bytes of one
    member, counting inflated bytes against the limits.
    """

    def __init__(self, path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        self._total_read = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError as exc:
            raise QDAError("fichier introuvable", path=self.path) from exc
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise QDAError(
                f"ce n'est pas une archive ZIP lisible (un .qdpx est un ZIP contenant project.qde) : {exc}",
                path=self.path,
            ) from exc
        try:
            self._check_directory()
        except QDAError:
            self._zip.close()
            raise

    def _check_directory(self) -> None:
        infos = self._zip.infolist()
        lim = self.limits
        if len(infos) > lim.max_members:
            raise QDAError(f"archive refusée : {len(infos)} éléments (limite {lim.max_members})", path=self.path)
        seen: dict[str, str] = {}
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            problem = _member_problem(name, info)
            if problem:
                raise QDAError(f"archive refusée, élément « {name} » : {problem}", path=self.path)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise QDAError(f"élément « {name} » chiffré : non pris en charge", path=self.path)
            key = name.replace("\\", "/").casefold()
            if key in seen:
                raise QDAError(
                    f"archive refusée : « {name} » et « {seen[key]} » portent le même nom", path=self.path
                )
            seen[key] = name
            if info.file_size > lim.max_member_bytes:
                raise QDAError(
                    f"archive refusée, élément « {name} » : {info.file_size} octets décompressés "
                    f"(limite {lim.max_member_bytes})",
                    path=self.path,
                )
            if info.file_size > lim.ratio_floor_bytes and info.file_size > lim.max_ratio * max(info.compress_size, 1):
                raise QDAError(
                    f"archive refusée, élément « {name} » : taux de compression suspect "
                    f"({info.file_size} / {info.compress_size} octets, bombe ZIP ?)",
                    path=self.path,
                )
            total += info.file_size
            self._infos[name] = info
        if total > lim.max_total_bytes:
            raise QDAError(
                f"archive refusée : {total} octets décompressés au total (limite {lim.max_total_bytes})",
                path=self.path,
            )
        packed = sum(i.compress_size for i in self._infos.values())
        if total > lim.ratio_floor_bytes and total > lim.max_ratio * max(packed, 1):
            raise QDAError(
                f"archive refusée : taux de compression global suspect ({total} / {packed} octets, bombe ZIP ?)",
                path=self.path,
            )

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str) -> bytes:
        """Bytes of member ``name``; stops as soon as the inflated size breaks a limit."""
        info = self._infos[name]
        lim = self.limits
        cap = min(info.file_size, lim.max_member_bytes)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as handle:
                while True:
                    chunk = handle.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    self._total_read += len(chunk)
                    if size > cap:
                        raise QDAError(
                            f"élément « {name} » : plus d'octets décompressés que déclaré ({info.file_size}) "
                            "ou que la limite, lecture arrêtée",
                            path=self.path,
                        )
                    if self._total_read > lim.max_total_bytes:
                        raise QDAError("archive refusée : trop d'octets décompressés au total", path=self.path)
                    if size > lim.ratio_floor_bytes and size > lim.max_ratio * max(info.compress_size, 1):
                        raise QDAError(
                            f"élément « {name} » : taux de compression suspect, lecture arrêtée (bombe ZIP ?)",
                            path=self.path,
                        )
                    chunks.append(chunk)
        except QDAError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise QDAError(f"élément « {name} » illisible : {exc}", path=self.path) from exc
        return b"".join(chunks)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


_DTD_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xml(data: bytes, *, where: str) -> etree._Element:
    """Parse untrusted XML bytes into their root element; ``where`` names the file (and member)
    in error messages. DOCTYPE/ENTITY declarations are refused before parsing."""
    probe = data[:4]
    text_for_scan = data
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: scan the decoded text
        try:
            text_for_scan = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise QDAError(f"XML illisible (UTF-16 invalide) : {exc}", path=where) from exc
    if _DTD_RE.search(text_for_scan):
        raise QDAError(
            "déclaration <!DOCTYPE>/<!ENTITY> refusée (inutile en REFI-QDA, risque d'entités malveillantes)",
            path=where,
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise QDAError(f"XML mal formé : {exc.msg}", path=where, line=line) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise QDAError("déclaration <!DOCTYPE> refusée", path=where)
    return root
