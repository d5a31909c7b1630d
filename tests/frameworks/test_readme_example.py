"""The framework example in the README is a valid framework."""

import re

from app.core.config import PROJECT_ROOT
from app.frameworks.loader import parse_framework


def test_readme_framework_example_validates():
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(key: .*?)```", readme, re.S)
    assert block, "README has no framework example"
    fw = parse_framework(block.group(1), "README.md").framework
    assert fw.key == "discharge-check" and fw.refs() == ["DF1"]
