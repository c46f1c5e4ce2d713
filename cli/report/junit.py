"""`--format junit`: one test case per contract, a failure per failing finding; waived and
warning findings go to the case's system-out, which fails nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cli.report import Report

__all__ = ["render_junit"]


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name=f"charter {report.command}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"charter {report.command} vs {report.against}",
        tests=str(len(report.contracts)),
        failures=str(
            sum(
                1
                for c in report.contracts
                if any(i.failing for i in c.issues) and c.status not in ("invalid", "error")
            )
        ),
        errors=str(sum(1 for c in report.contracts if c.status in ("invalid", "error"))),
        skipped="0",
    )
    for contract in report.contracts:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"charter.{contract.schema_type.lower()}",
            name=f"{contract.subject} ({contract.file})",
        )
        if contract.error:
            ET.SubElement(
                case, "error", message=contract.error, type=contract.status
            ).text = contract.error
        for issue in contract.issues:
            body = (
                f"{issue.file}:{issue.line}:{issue.column} {issue.rule} {issue.message}\n"
                f"hint: {issue.hint}\nfingerprint: {issue.fingerprint}"
            )
            if issue.waiver_note():
                body += f"\n{issue.waiver_note()}"
            if issue.status == "warning":
                body = f"warning {body}"
            if not issue.failing:
                ET.SubElement(case, "system-out").text = body
                continue
            tag = "error" if contract.status == "invalid" else "failure"
            ET.SubElement(
                case, tag, message=f"{issue.rule}: {issue.message}", type=issue.rule
            ).text = body
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
