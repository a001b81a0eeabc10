"""Import-linter contract types of our own (pyproject.toml, `contract_types`).

`lint-imports` puts the working directory on the path, so these load when it runs from the project root
(as `make lint` and `.ci/run` do).
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.contract import InvalidContractOptions


class Link(NamedTuple):
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


class StdlibOnlyContract(Contract):
    """Each of `source_modules` imports only the standard library and modules inside itself.

    An allow-list, where a `forbidden` contract is a block-list: a library nobody thought to name (jwt,
    numpy, attrs …) breaks it as surely as a database driver. It needs `include_external_packages = true`:
    without it the graph holds no third-party imports to find.
    """

    type_name = "stdlib_only"

    source_modules = fields.ListField(subfield=fields.ModuleField())

    def validate(self) -> None:
        if str(self.session_options.get("include_external_packages")).lower() != "true":
            raise InvalidContractOptions(
                {"source_modules": "stdlib_only needs include_external_packages = true to see libraries"}
            )

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        illegal = [
            link
            for package in self.source_modules  # type: ignore[attr-defined]
            for link in imports_leaving(graph, package.name)
            if link.imported.split(".")[0] not in sys.stdlib_module_names
        ]
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["illegal"]:
            lines = ", ".join(str(number) for number in link.line_numbers)
            output.print_error(
                f"{link.importer} -> {link.imported} (l.{lines}): not the standard library", bold=False
            )
            output.new_line()


def imports_leaving(graph: ImportGraph, package: str) -> list[Link]:
    """Every direct import from `package` (or a module in it) of a module outside it."""
    if package not in graph.modules:
        raise ValueError(f"Module '{package}' does not exist.")
    inside = {package, *graph.find_descendants(package)}
    return [
        Link(importer, imported, _line_numbers(graph, importer, imported))
        for importer in sorted(inside)
        for imported in sorted(graph.find_modules_directly_imported_by(importer) - inside)
    ]


def _line_numbers(graph: ImportGraph, importer: str, imported: str) -> tuple[int, ...]:
    details = graph.get_import_details(importer=importer, imported=imported)
    return tuple(detail["line_number"] for detail in details)
