"""The examples' command line: the folder to write to, and --help from the script's docstring."""

from __future__ import annotations

import argparse
from pathlib import Path


def parser(doc: str | None, output_dir: bool = True) -> argparse.ArgumentParser:
    """A parser whose help is the script's docstring, taking OUTPUT_DIR unless told not to."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if output_dir:
        parser.add_argument("output_dir", metavar="OUTPUT_DIR", type=Path,
                            help="the folder to write the pictures to (made if missing)")
    return parser


def output_dir(doc: str | None) -> Path:
    """The OUTPUT_DIR the script was run with (--help prints the help and exits)."""
    folder: Path = parser(doc).parse_args().output_dir
    return folder
