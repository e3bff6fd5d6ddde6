"""Validates spans (a JSON list on stdin) against definitions/Span of Zipkin's own API file.

Usage: zipkin_span_check.py ZIPKIN2_API_YAML < spans.json
Prints "valid N" and exits 0, or prints each span's problems and exits 1.
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        api = yaml.safe_load(handle)
    schema = {"$ref": "#/definitions/Span", "definitions": api["definitions"]}
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    spans = json.load(sys.stdin)
    problems = []
    for index, span in enumerate(spans):
        for error in validator.iter_errors(span):
            problems.append(f"span {index} ({span.get('id')}): {'/'.join(str(p) for p in error.absolute_path)}: {error.message}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"valid {len(spans)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
