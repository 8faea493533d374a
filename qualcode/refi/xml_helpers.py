"""XML helpers that the REFI-QDA codebook (.qdc) and project (.qdpx) modules share.

Both parse files that may come from anyone, find elements whatever namespace another tool
wrote them in, report libxml2's errors with the line first and validate against a REFI-QDA
1.0 schema shipped in qualcode/data (MIT licence). The project's export and import also share
its namespace, the name of its .qde and the target of our processing instruction.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from lxml import etree

from qualcode.common import untrusted_xml

NAMESPACE = "urn:QDA-XML:project:1.0"
PI = "qualcode"
QDE_NAME = "project.qde"


def qname(tag: str) -> str:
    """The tag in the project namespace."""
    return f"{{{NAMESPACE}}}{tag}"


def local_name(element: etree._Element) -> str:
    """Element name without namespace: other tools write ours, none, or occasionally another."""
    return etree.QName(element).localname


def child_elements(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and local_name(child) == name]


def safe_parser(**options) -> etree.XMLParser:
    """No DTD entities expanded, nothing fetched: a .qdc or .qdpx may come from anyone (files from
    outside are read with `untrusted_xml.parse`, which also refuses a DOCTYPE)."""
    return untrusted_xml.parser(**options)


def syntax_problem(err: etree.XMLSyntaxError) -> str:
    """libxml2's message without its trailing position; callers put the line first."""
    return re.sub(r", line \d+, column \d+$", "", err.msg or str(err))


@lru_cache(maxsize=None)
def _schema(name: str) -> etree.XMLSchema:
    """A schema in qualcode/data: Codebook.xsd or Project.xsd."""
    xsd = resources.files("qualcode").joinpath(f"data/{name}").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd, safe_parser()))


def schema_errors(root: etree._Element, name: str) -> list[str]:
    """Errors against the named schema as 'line N: message'; empty when `root` follows it."""
    schema = _schema(name)
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


def validate(data: bytes, name: str) -> list[str]:
    """Schema errors of the bytes as 'line N: message'; empty when they are valid against the named schema."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as err:
        return [f"line {err.lineno}: not XML: {syntax_problem(err)}"]
    return schema_errors(root, name)
