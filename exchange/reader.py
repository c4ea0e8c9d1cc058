"""Reading a bundle: a folder, or a ``.zip`` of one, of UTF-8 CSV files with a header row.

Files are read as streams, never extracted, so a zip cannot write outside anything
(no "zip slip"); its declared sizes are checked before reading, so a small zip that
inflates to gigabytes is refused up front.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from exchange.format import ALL_FILES, REFERRALS

DAMAGED = "the zip's copy of this file is damaged (found at about this line); make the zip again"
# The most a bundle may hold once inflated; 100,000 referrals with all their files are about 40 MB.
MAX_INFLATED_BYTES = 2 * 1024**3


class BundleUnreadable(Exception):
    """The bundle cannot be read at all (not a folder or a zip, a damaged zip, no referrals.csv)."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class CsvProblem(Exception):
    """A file that stops being readable part way: broken CSV quoting, or damaged zip data."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Row:
    line: int  # the line of the file the row starts on (the header is line 1)
    cells: list[str]


class Bundle:
    """The CSV files of one bundle; ``open(name)`` gives a text stream of one of them."""

    def __init__(self, source: str | Path | IO[bytes], *, label: str = "") -> None:
        self.label = label or (str(source) if isinstance(source, str | Path) else "upload.zip")
        self._zip: zipfile.ZipFile | None = None
        self._folder: Path | None = None
        self._members: dict[str, str] = {}
        self.unknown_files: list[str] = []
        if isinstance(source, str | Path) and Path(source).is_dir():
            self._folder = Path(source)
            names = [p.name for p in self._folder.iterdir() if p.is_file()]
            self._index(names, {n: n for n in names})
        else:
            try:
                self._zip = zipfile.ZipFile(source if not isinstance(source, str) else Path(source))
            except FileNotFoundError:
                raise BundleUnreadable(self.label, "no such folder or file") from None
            except (zipfile.BadZipFile, OSError):
                raise BundleUnreadable(self.label, "not a folder or a .zip file that can be read") from None
            self._index_zip()

    def _index_zip(self) -> None:
        assert self._zip is not None
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_INFLATED_BYTES:
            raise BundleUnreadable(self.label, "the zip inflates to more than 2 GB")
        paths = {}
        for info in infos:
            member_path = PurePosixPath(info.filename.replace("\\", "/"))
            if any(part.startswith(".") or part == "__MACOSX" for part in member_path.parts):
                continue
            paths[str(member_path)] = info.filename
        # The bundle's folder is where referrals.csv is: the zip's root or one folder inside it.
        roots = sorted({str(PurePosixPath(p).parent) for p in paths if PurePosixPath(p).name == REFERRALS})
        root = roots[0] if len(roots) == 1 else "."
        if len(roots) > 1:
            raise BundleUnreadable(self.label, "the zip holds more than one referrals.csv")
        names = {}
        for path, member in paths.items():
            parent = str(PurePosixPath(path).parent)
            if parent == root:
                names[PurePosixPath(path).name] = member
            else:
                self.unknown_files.append(path)
        self._index(list(names), names)

    def _index(self, names: list[str], members: dict[str, str]) -> None:
        for name in sorted(names):
            if name.startswith("."):
                continue
            if name in ALL_FILES:
                self._members[name] = members[name]
            elif name.lower().endswith(".csv"):
                self.unknown_files.append(name)

    def has(self, name: str) -> bool:
        return name in self._members

    def names(self) -> list[str]:
        return [n for n in ALL_FILES if n in self._members]

    def _binary(self, name: str) -> IO[bytes]:
        if self._folder is not None:
            return (self._folder / self._members[name]).open("rb")
        assert self._zip is not None
        return self._zip.open(self._members[name])

    def rows(self, name: str) -> Iterator[Row]:
        """The rows of one file, header first, each with the line it starts on.

        A byte order mark (as spreadsheet programs write) is skipped. A byte that is not
        UTF-8 is kept as a lone surrogate (``surrogateescape``) and reported by validation
        as an error of its one cell, so the rest of the file is still read and checked: a
        bad byte in a name is one error, not one for every row that refers to that person.
        """
        self._check_member(name)
        binary = self._binary(name)
        next_line = 1
        try:
            text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.reader(text, strict=True)
            for cells in reader:
                yield Row(next_line, cells)
                next_line = reader.line_num + 1
        except csv.Error as exc:
            raise CsvProblem(next_line, f"the row is not valid CSV ({exc})") from None
        except (zlib.error, zipfile.BadZipFile, EOFError):
            # Damaged deflate data or a CRC mismatch (a member that changed after the check).
            raise CsvProblem(next_line, DAMAGED) from None
        finally:
            binary.close()

    def _check_member(self, name: str) -> None:
        """Read a zip member through once before its rows are parsed. Damaged deflate data may
        inflate to garbage that is only found out at the end (the CRC): its rows would each be
        reported, instead of the one thing wrong. Inflating twice costs well under a second
        for the largest upload."""
        if self._zip is None:
            return
        line = 1
        try:
            with self._zip.open(self._members[name]) as raw:
                while block := raw.read(1 << 16):
                    line += block.count(b"\n")
        except (zlib.error, zipfile.BadZipFile, EOFError):
            raise CsvProblem(line, DAMAGED) from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
