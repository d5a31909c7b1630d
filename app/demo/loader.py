"""Read the demo's data files into a validated `DemoData`, or say which file and line is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.core.yamlfile import FileProblem, YamlDocument, YamlInvalid, parse_yaml, read_text
from app.demo.schema import FILES, DemoData, cross_checks

DATA_DIR = Path(__file__).parent / "data"


class DemoDataInvalid(Exception):
    """A demo data file failed to parse or validate; `problems` lists every problem found."""

    def __init__(self, problems: list[FileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_demo_data(folder: Path = DATA_DIR) -> DemoData:
    """Read and check every demo file in `folder`; raise `DemoDataInvalid` listing all problems."""
    documents: dict[str, YamlDocument] = {}
    parsed: dict[str, Any] = {}
    problems: list[FileProblem] = []
    for name, model in FILES.items():
        try:
            document = parse_yaml(read_text(folder / name), str(folder / name))
        except YamlInvalid as exc:
            problems += exc.problems
            continue
        documents[name] = document
        try:
            parsed[name] = model.model_validate(document.data)
        except ValidationError as exc:
            problems += document.validation_problems(exc)
    if problems:
        raise DemoDataInvalid(problems)
    findings = parsed["findings.yaml"]
    data = DemoData(
        review=parsed["review.yaml"],
        people=parsed["people.yaml"],
        evidence=parsed["evidence.yaml"].evidence,
        lines=parsed["ratings.yaml"].lines,
        findings=findings.findings,
        recommendations=findings.recommendations,
        indicators=parsed["indicators.yaml"],
    )
    checks = cross_checks(data)
    if checks:
        raise DemoDataInvalid([documents[file].problem(path, message) for file, path, message in checks])
    return data
