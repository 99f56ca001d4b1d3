"""`load_questions --lenient PATH --set SLUG [--json]`: the command's half that lives in
authoring (drafts are authoring's), called by bank's load_questions command."""

import json
from pathlib import Path

from django.core.management.base import CommandError

from quizbank.authoring.imports import import_notes
from quizbank.bank.loader import display_path
from quizbank.bank.markup import ContentErrors


def handle_lenient(command, options) -> None:
    paths = options["paths"]
    if len(paths) != 1 or not options["set_slug"]:
        raise CommandError("--lenient 需要一个文件和 --set SLUG / --lenient takes one PATH and --set SLUG")
    path = Path(paths[0])
    try:
        result = import_notes(path, set_slug=options["set_slug"], display=display_path(path), check=options["check"])
    except ContentErrors as exc:
        for error in exc.errors:
            command.stderr.write(str(error))
        raise CommandError("什么都没有导入 / nothing imported") from None
    if options["json"]:
        data = {**result.as_dict(), "check": options["check"]}
        command.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))
        return
    if options["check"]:
        command.stdout.write(
            f"检查 check（什么都没有写入 / nothing written）：会导入 would import {len(result.imported)} 道题，"
            f"跳过 skipped {len(result.skipped)}"
        )
    else:
        command.stdout.write(
            f"导入 imported: {len(result.imported)} 道题成为草稿（题集 {result.set_slug}），"
            f"跳过 skipped: {len(result.skipped)} — 在 /author/ 里补上关键点后提交审核"
        )
    if not result.imported and not result.skipped:
        command.stdout.write(
            "  没有找到问题：问题写成标题（## …？）、单独一行的加粗问题、Q:/问： 开头的行，或带答案的编号列表"
        )
    for item in result.imported:
        command.stdout.write(f"  + {result.path}:{item.line}-{item.end_line}  {item.target_id}  {item.title[:50]}")
    for item in result.skipped:
        command.stdout.write(f"  - {result.path}:{item.line}  {item.reason}  「{item.text[:40]}」")
