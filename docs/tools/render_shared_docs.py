# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Render documentation the write modules share (docs/tools/shared/) into their sidecar docs.

Ansible has fragments for options and notes, not for return values, nor for the
suboptions of an option: the text both write modules share is written once and
rendered into each module's plugins/modules/<module>.yml between
"# shared: <name>" and "# end shared: <name>", indented as the marker is.

- ``write_results``: docs/tools/shared/write_results.yml.tmpl, with the module's facts filled in;
- ``identity_provider_suboptions``: the suboptions of ``identity_provider`` in the
  identity_provider doc fragment, for ``users[].identity_provider``.

    docs/tools/render_shared_docs.py           rewrite the modules' docs
    docs/tools/render_shared_docs.py --check   fail when they are not current
"""

import ast
import pathlib
import re
import sys
import textwrap

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT / "docs" / "tools" / "shared"

MODULES = {
    "lmus_instance_user": dict(noun="association", place_option="instance_id", place_noun="instance", result_key="instance_user",
                               arn_option="instance_user_arn", place_sample="i-0123456789abcdef0"),
    "lmus_product_subscription": dict(noun="subscription", place_option="product", place_noun="product", result_key="product_subscription",
                                      arn_option="product_user_arn", place_sample="OFFICE_PROFESSIONAL_PLUS"),
}


class IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint and ansible-lint want them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def fragment_suboptions():
    """The suboptions of identity_provider, as the identity_provider doc fragment documents them."""
    source = (ROOT / "plugins" / "doc_fragments" / "identity_provider.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            options = yaml.safe_load(node.value.value)["options"]
            return yaml.dump(dict(suboptions=options["identity_provider"]["suboptions"]), Dumper=IndentedDumper, sort_keys=False, width=120)
    raise SystemExit("identity_provider doc fragment: no DOCUMENTATION")


def render(name, facts):
    if name == "identity_provider_suboptions":
        return fragment_suboptions()
    source = (SHARED / f"{name}.yml.tmpl").read_text(encoding="utf-8")
    body = "".join(line for line in source.splitlines(keepends=True) if not line.startswith("#"))
    return textwrap.dedent(body.format(**facts))


def rendered(path, facts):
    text = path.read_text(encoding="utf-8")

    def replace(match):
        indent = " " * (len(match.group(1)) - len(match.group(1).lstrip()))
        return f"{match.group(1)}{textwrap.indent(render(match.group(2), facts), indent)}{match.group(3)}"

    pattern = re.compile(r"(^ *# shared: (\S+)\n)(?:.*?\n)??(^ *# end shared: \2\n)", re.M | re.S)
    new, count = pattern.subn(replace, text)
    if not count:
        raise SystemExit(f"{path}: no '# shared: <name>' region")
    return text, new


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for module, facts in MODULES.items():
        path = ROOT / "plugins" / "modules" / f"{module}.yml"
        old, new = rendered(path, facts)
        try:
            yaml.safe_load(new)
        except yaml.YAMLError as e:
            raise SystemExit(f"{path.relative_to(ROOT)}: not valid YAML once rendered: {e}")
        if old != new:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and stale:
        raise SystemExit("not current (run `make docs`): " + ", ".join(stale))
    print(("stale: " if check and stale else "current: " if check else "rendered: ") + ", ".join(MODULES))


if __name__ == "__main__":
    main()
