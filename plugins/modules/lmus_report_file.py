#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lmus.user_subscriptions project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: lmus_report_file
version_added: 0.2.0
short_description: Write a report file atomically, readable by its owner only, never through a symbolic link
description:
  - Writes O(content) to one file on the managed host, or checks (O(state=checked)) that it could,
    without writing, or removes a file it wrote (O(state=absent)). This is the writer the collection's
    roles use for their reports and for the files they keep only for the time of a run; it does not
    call AWS.
  - With O(path), the file is exactly O(path). An existing file there is replaced only when it is a
    regular file owned by the running user; when it already holds O(content) with mode C(0600) it is
    left alone and RV(changed) is V(false).
  - With O(directory), the file is a new one in O(directory), named
    C(<prefix>-<UTC time as YYYYmmddTHHMMSSZ><suffix>), for example C(report-20250102T030405Z-dry-run.json).
    An existing file is never overwritten; when the name is taken, C(-1), C(-2), ... is added before
    O(suffix). The name is claimed with a hard link (C(os.link)), which fails when the name exists, so
    writers running at the same time never take the same name. The directory's file system must
    support hard links.
  - "The file is never partial or empty at its final name: the content goes to a temporary file in the
    same directory (a hidden name ending in C(.tmp)), created with C(O_CREAT|O_EXCL|O_NOFOLLOW) and mode
    C(0600) from the start whatever the umask, written, synced to disk, then renamed to O(path) or
    linked to its new name in O(directory); the directory is synced last. On any error the temporary
    file is removed. The final file has mode C(0600)."
  - Each refusal below fails the task with a message that names O(label) and the path, and changes nothing on disk.
  - Refused when O(path) is a symbolic link (to a file or a directory, dangling or not). The link is never
    followed; its target's mode and content stay as they are. Links in the parent components of O(path) are followed.
  - Refused when O(path) is a directory, or anything else that is not a regular file.
  - Refused when O(path) is a file owned by another user than the one running the module. Such a file is
    never reused or appended to.
  - Refused when O(directory) is itself a symbolic link. Whoever can change the link could send the file
    elsewhere, so give the real directory; links in its parent components are fine.
  - Refused when the parent directory of O(path), or O(directory), does not exist, is not a directory, or
    cannot be written to and searched by the running user.
  - Refused when O(path), O(directory), O(prefix) or O(suffix) contains a control character, or O(prefix)
    or O(suffix) contains C(/).
  - O(state=checked), and check mode, run the same checks as a write, including the creation (and
    immediate removal) of the temporary file, so a destination that passes can be written. Nothing
    is left behind.
  - O(state=absent) removes the file at O(path) under the same rules - only a regular file owned by the
    running user; a symbolic link (neither it nor its target is touched), a directory, anything else
    or a file of another user is refused. Nothing there is not an error (RV(changed) is V(false)).
author:
  - lmus.user_subscriptions maintainers (@lmus)
options:
  path:
    description:
      - The file to write. A relative path is taken from the module's working directory; on a local
        connection ansible-core runs modules in the directory of the task's playbook or role, so give an
        absolute path (the offboard role makes its report paths absolute from the directory the run started
        in). C(~) and environment variables are not expanded.
      - Mutually exclusive with O(directory); one of them is required.
    type: str
  directory:
    description:
      - Write a new file in this existing directory instead, named from O(prefix), the current UTC time
        and O(suffix); see the description. It may not be a symbolic link itself. A relative path is taken
        as for O(path).
      - Mutually exclusive with O(path); one of them is required.
    type: str
  prefix:
    description:
      - With O(directory), the start of the file name, before C(-) and the time. When not set, V(report).
      - May not be empty, nor contain C(/) or control characters.
    type: str
  suffix:
    description:
      - With O(directory), the end of the file name, after the time, for example V(.json) or V(-dry-run.json).
        When not set, nothing.
      - May not contain C(/) or control characters.
    type: str
  content:
    description:
      - The text to write, as is (no newline is added), encoded as UTF-8.
      - Required with O(state=present); ignored with O(state=checked).
      - Not treated as a secret. Reports name people, so a task whose O(content) carries personal data
        should set the C(no_log) keyword to V(true), which keeps it out of logs, callbacks and C(-v) output
        (and also hides the task's error message).
    type: str
  state:
    description:
      - V(present) writes the file.
      - V(checked) only checks that the file could be written (see the description) and writes nothing;
        roles use it before they make any change elsewhere, so that a bad destination stops them early.
      - V(absent) removes the file at O(path) (see the description); O(path) is required, O(directory) not allowed.
    type: str
    choices: [present, checked, absent]
    default: present
  label:
    description:
      - The name to give in error messages instead of V(path) or V(directory), for example the role
        variable the user set (V(offboard_report_path)), so that the error names what the user can fix.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the destination is checked as with O(state=checked) and
        RV(changed) is V(true) for O(state=present) (V(false) when O(path) already holds O(content)).
      - In check mode O(state=absent) removes nothing; RV(changed) says whether it would.
      - A task that must write even in check mode (a dry run's report) sets the C(check_mode) keyword to V(false).
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
notes:
  - The module runs on the managed host; delegate the task to C(localhost) to write on the controller.
  - It does not use AWS, so it takes no AWS options and is not part of the C(lmus) action group
    (C(module_defaults) for C(group/lmus.user_subscriptions.lmus) do not reach it).
  - O(content) is never returned.
seealso:
  - module: ansible.builtin.copy
    description: For files that may follow links or need other modes or owners.
"""

EXAMPLES = r"""
- name: Stop early, before any change, if the report cannot be written
  lmus.user_subscriptions.lmus_report_file:
    path: /var/lib/offboarding/report.json
    state: checked
    label: offboard_report_path

- name: Write the report, also in a dry run
  lmus.user_subscriptions.lmus_report_file:
    path: /var/lib/offboarding/report.json
    content: "{{ offboard_report | to_nice_json }}\n"
    label: offboard_report_path
  check_mode: false
  no_log: true

- name: Write a new report file in a directory, never overwriting an earlier one
  lmus.user_subscriptions.lmus_report_file:
    directory: /var/lib/offboarding/reports
    prefix: offboard
    suffix: "{{ ansible_check_mode | ternary('-dry-run.json', '.json') }}"
    content: "{{ offboard_report | to_nice_json }}\n"
  check_mode: false
  no_log: true
  register: report_file

- name: Show where the report went
  ansible.builtin.debug:
    msg: "Report written to {{ report_file.path }}"

- name: Remove a file written only for the time of the run (never through a link, never another user's file)
  lmus.user_subscriptions.lmus_report_file:
    path: "{{ report_file.path }}"
    state: absent
  check_mode: false
"""

RETURN = r"""
path:
  description:
    - The file written, or that would be written (O(state=checked), check mode), or removed (O(state=absent)), as an absolute path.
    - With O(directory), the name chosen. With O(state=checked) or in check mode, it is the name free at
      the time of the check; a later write picks the name free then.
    - On failure, the path in question (absent when the options themselves are invalid).
  returned: success, and on failure when known
  type: str
  sample: /var/lib/offboarding/reports/offboard-20250102T030405Z-dry-run.json
changed:
  description:
    - V(true) when the file was written or removed (or would be, in check mode); V(false) with O(state=checked),
      when O(path) already held O(content) with mode C(0600), and with O(state=absent) when there was no file.
  returned: always
  type: bool
  sample: true
msg:
  description: What was done, or why the destination was refused.
  returned: always
  type: str
  sample: wrote /var/lib/offboarding/report.json (2048 bytes, mode 0600)
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import FileWriteError
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import already_written
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import check_destination
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import destination
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import remove_file
from ansible_collections.lmus.user_subscriptions.plugins.module_utils.files import write_file


class ReportFileModule(AnsibleModule):
    def add_path_info(self, kwargs):
        """Return what RETURN documents, nothing more.

        AnsibleModule would add the stat() of ``path`` (uid, mode, state, ...) to every result,
        including the link or directory this module refused to write through.
        """
        return kwargs


def main():
    module = ReportFileModule(
        argument_spec=dict(
            path=dict(type="str"),
            directory=dict(type="str"),
            prefix=dict(type="str"),
            suffix=dict(type="str"),
            content=dict(type="str"),
            state=dict(type="str", choices=["present", "checked", "absent"], default="present"),
            label=dict(type="str"),
        ),
        mutually_exclusive=[("path", "directory")],
        required_one_of=[("path", "directory")],
        required_by=dict(prefix="directory", suffix="directory"),
        required_if=[("state", "present", ["content"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "absent" and params["directory"] is not None:
        module.fail_json(msg="state=absent removes the file named by path; directory is not allowed with it")
    try:
        dest = destination(path=params["path"], directory=params["directory"], prefix=params["prefix"], suffix=params["suffix"], label=params["label"])
    except FileWriteError as e:
        module.fail_json(msg=str(e))

    where = dest.path or dest.directory
    try:
        if params["state"] == "absent":
            removed = remove_file(dest, check=module.check_mode)
            verb = "would remove" if module.check_mode else "removed"
            module.exit_json(changed=removed, path=dest.path, msg=f"{verb} {dest.path}" if removed else f"{dest.path}: no file to remove")
        if params["state"] == "checked":
            path = check_destination(dest)
            module.exit_json(changed=False, path=path, msg=f"{path} can be written")
        if module.check_mode:
            path = check_destination(dest)
            if already_written(dest, params["content"]):
                module.exit_json(changed=False, path=path, msg=f"{path} already holds this content")
            module.exit_json(changed=True, path=path, msg=f"would write {path} ({len(params['content'].encode('utf-8'))} bytes, mode 0600)")
        result = write_file(dest, params["content"])
    except FileWriteError as e:
        module.fail_json(msg=str(e), path=where)
    except UnicodeEncodeError as e:
        module.fail_json(msg=f"content: cannot be encoded as UTF-8: {e}", path=where)
    if result.changed:
        module.exit_json(changed=True, path=result.path, msg=f"wrote {result.path} ({len(params['content'].encode('utf-8'))} bytes, mode 0600)")
    module.exit_json(changed=False, path=result.path, msg=f"{result.path} already holds this content")


if __name__ == "__main__":
    main()
