"""Every setting the code reads is documented in docs/operations.md."""
import os
import pathlib
import re

SRC = pathlib.Path(os.environ.get("DS_SRC") or pathlib.Path(__file__).parents[2])


def test_every_setting_the_code_reads_is_documented():
    keys = set()
    for c in SRC.glob("modules/**/*.[ch]"):
        keys |= set(re.findall(r'conf_(?:int|str|get)\("([a-z_0-9]+)"', c.read_text()))
    doc = (SRC / "docs" / "operations.md").read_text()
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert keys and not missing, f"settings not in docs/operations.md: {missing}"
