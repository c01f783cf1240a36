"""English and Russian strings of the stepper and the HTML walk-through.

One flat dictionary per language, ``STRINGS[lang][key]``, holding
:meth:`str.format` templates; both languages have exactly the same keys and,
for each key, the same ``{fields}`` (a test checks it). The strings are plain
text: whoever puts them into HTML escapes them.

Keys are dotted by area: ``button.*`` and ``tooltip.*`` (the controls),
``status.*`` (the line under them), ``step.*`` (the text panel of a step),
``note.*`` (notes drawn on nodes), ``problem.*`` (what "run to next problem"
stops at), ``html.*`` (the exported page).

Lines of a step text that report an error start with ``✗``; the widget and
the HTML page draw those lines in red.

Examples
--------
>>> tr("button.next", "ru")
'вперёд ▶'
>>> tr("step.head", "en", k=1, n=4, direction=tr("dir.backward", "en"), node=6, label="Sum")
'Step 1 of 4 · backward pass · node 6: Sum'
"""

from __future__ import annotations

import string
from typing import Any

__all__ = ["LANGS", "STRINGS", "check_lang", "fields", "tr"]

EN: dict[str, str] = {
    # controls
    "button.first": "⇤ first",
    "button.back": "◀ back",
    "button.next": "next ▶",
    "button.last": "last ⇥",
    "button.run_to": "run to",
    "button.problem": "next problem",
    "button.fit": "fit width",
    "tooltip.first": "Step 0: nothing computed yet",
    "tooltip.back": "One step back (nothing is recomputed)",
    "tooltip.next": "One step forward",
    "tooltip.last": "The last step: the pass is complete",
    "tooltip.play": "Play the steps as an animation",
    "tooltip.speed": "Milliseconds per step while playing",
    "tooltip.slider": "Jump to any step",
    "tooltip.run_to": "Go to the step of the chosen node",
    "tooltip.problem": "Go to the next step with a problem: an exception, NaN/Inf, or a failed gradient check",
    "tooltip.fit": "Shrink the picture to the width of the page",
    "label.speed": "ms/step",
    "label.step": "step",
    # the status line
    "status.counter": "step {k} of {n}",
    "status.no_problem": "No problem after step {k}.",
    "status.problem": "Stopped at step {k}: {kind}.",
    "status.reached": "Step {k}: {label} (node {node}).",
    "status.draw_error": "✗ The picture could not be drawn: {error}",
    # directions
    "dir.backward": "backward pass",
    "dir.forward": "forward pass",
    # the text panel of a step
    "step.head": "Step {k} of {n} · {direction} · node {node}: {label}",
    "step.head_start": "Step 0 of {n} · {direction}",
    "step.start_backward": (
        "Nothing is computed yet. Next: node {node}, {label}, starts the pass with ∂{loss}/∂{var} = {value}."
    ),
    "step.start_forward": "Only the inputs and parameters exist. Next: node {node}, {label}, computes its output.",
    "step.start_empty": "There is no op call to step through.",
    "step.end_backward": "The backward pass is complete: all {n} steps are done.",
    "step.end_forward": "The forward pass is complete: all {n} op calls are done.",
    "step.root": "The pass starts here: ∂{loss}/∂{var} = {value}",
    "step.upstream": "Upstream gradient ∂{loss}/∂{var}: {value}",
    "step.from_one": "  received from its consumer {consumer}",
    "step.from_many": "  summed over its {n} consumers: {consumers}",
    "step.from_failed": "✗ nothing from {consumers}: their backward failed",
    "step.returned": "backward returned:",
    "step.arg": "  ∂{loss}/∂{name} → node {node} ({label}), argument {arg}: {value}",
    "step.arg_unrecorded": "  ∂{loss}/∂{name}, argument {arg} (not a recorded node): {value}",
    "step.arg_none": "  argument {arg}: None (no gradient)",
    "step.param": "  ∂{loss}/∂{name} (parameter {attr} → node {node}): {value}",
    "step.param_none": "  parameter {attr}: backward did not set its gradient",
    "step.chain": "Chain rule:",
    "step.chain_generic": "Chain rule, in general ({op} records no formula of its own):",
    "step.error": "✗ backward raised {type}: {message}",
    "step.error_at": "✗ at {where}: {code}",
    "step.error_blocked": "✗ No gradient flows from here to {producers}; the walk goes on along the other branches.",
    "step.skipped": "No gradient reached this node (its consumers failed or do not use it): backward was not called.",
    "step.computes": "Computes {formula}",
    "step.inputs": "Inputs:",
    "step.input": "  argument {arg} ← node {node} ({label}): {shape}",
    "step.param_in": "  parameter {attr} ← node {node} ({label}): {shape}",
    "step.output": "Output {name}: {value}",
    "step.value": "{shape} = {values}",
    "step.ref": "{label} (node {node})",
    # notes drawn on nodes
    "note.error": "{type} at {where}: {message}",
    "note.no_gradient": "no gradient from {label} (node {node}, failed)",
    "note.cell": "notebook cell, line {line}",
    # problems ("run to next problem")
    "problem.failed": "backward raised an exception",
    "problem.nonfinite": "NaN / Inf",
    "problem.nonfinite_upstream": "✗ NaN / Inf: the upstream gradient holds {count}",
    "problem.nonfinite_grad": "✗ NaN / Inf: ∂{loss}/∂{name} holds {count}",
    "problem.nonfinite_value": "✗ NaN / Inf: the value holds {count}",
    "problem.gradcheck": "✗ gradient check ({kind}): {message}",
    "problem.count": "{nan} NaN and {inf} Inf of {size} values",
    # the frame shown when the graph is too big to lay out
    "fallback.title": "No picture: the graph is too big to lay out in time",
    "fallback.size": "{nodes} nodes and {edges} edges; Graphviz did not finish within timeout={timeout} s.",
    "fallback.hint": "Step through a smaller part (viz.Stepper(t) of an inner tensor t) or pass a larger timeout=...",
    "fallback.current": "Step {k}: node {node}, {label}",
    # the exported page
    "html.title_backward": "Backpropagation step by step",
    "html.title_forward": "The forward pass step by step",
    "html.keys": "Keys: ← / → one step, Home / End the first / last step.",
}

RU: dict[str, str] = {
    "button.first": "⇤ в начало",
    "button.back": "◀ назад",
    "button.next": "вперёд ▶",
    "button.last": "в конец ⇥",
    "button.run_to": "выполнить до",
    "button.problem": "к проблеме",
    "button.fit": "по ширине",
    "tooltip.first": "Шаг 0: ещё ничего не вычислено",
    "tooltip.back": "На шаг назад (ничего не пересчитывается)",
    "tooltip.next": "На шаг вперёд",
    "tooltip.last": "Последний шаг: проход завершён",
    "tooltip.play": "Проиграть шаги как анимацию",
    "tooltip.speed": "Миллисекунд на шаг при проигрывании",
    "tooltip.slider": "Перейти к любому шагу",
    "tooltip.run_to": "Перейти к шагу выбранного узла",
    "tooltip.problem": (
        "Перейти к следующему шагу с проблемой: исключение, NaN/Inf или непройденная проверка градиента"
    ),
    "tooltip.fit": "Уменьшить рисунок до ширины страницы",
    "label.speed": "мс/шаг",
    "label.step": "шаг",
    "status.counter": "шаг {k} из {n}",
    "status.no_problem": "После шага {k} проблем нет.",
    "status.problem": "Остановка на шаге {k}: {kind}.",
    "status.reached": "Шаг {k}: {label} (узел {node}).",
    "status.draw_error": "✗ Не удалось нарисовать граф: {error}",
    "dir.backward": "обратный проход",
    "dir.forward": "прямой проход",
    "step.head": "Шаг {k} из {n} · {direction} · узел {node}: {label}",
    "step.head_start": "Шаг 0 из {n} · {direction}",
    "step.start_backward": (
        "Пока ничего не вычислено. Далее: узел {node}, {label}, начинает проход с ∂{loss}/∂{var} = {value}."
    ),
    "step.start_forward": "Пока есть только входы и параметры. Далее: узел {node}, {label}, вычисляет свой выход.",
    "step.start_empty": "Нет ни одного вызова операции.",
    "step.end_backward": "Обратный проход завершён: выполнены все шаги ({n}).",
    "step.end_forward": "Прямой проход завершён: выполнены все вызовы операций ({n}).",
    "step.root": "Проход начинается здесь: ∂{loss}/∂{var} = {value}",
    "step.upstream": "Градиент сверху (upstream) ∂{loss}/∂{var}: {value}",
    "step.from_one": "  получен от потребителя {consumer}",
    "step.from_many": "  сумма по {n} потребителям: {consumers}",
    "step.from_failed": "✗ ничего не получено от {consumers}: их backward упал",
    "step.returned": "backward вернул:",
    "step.arg": "  ∂{loss}/∂{name} → узел {node} ({label}), аргумент {arg}: {value}",
    "step.arg_unrecorded": "  ∂{loss}/∂{name}, аргумент {arg} (не записан в граф): {value}",
    "step.arg_none": "  аргумент {arg}: None (градиента нет)",
    "step.param": "  ∂{loss}/∂{name} (параметр {attr} → узел {node}): {value}",
    "step.param_none": "  параметр {attr}: backward не задал его градиент",
    "step.chain": "Цепное правило:",
    "step.chain_generic": "Цепное правило в общем виде (у {op} нет своей формулы):",
    "step.error": "✗ backward выбросил {type}: {message}",
    "step.error_at": "✗ в {where}: {code}",
    "step.error_blocked": "✗ Отсюда градиент не идёт к {producers}; обход продолжается по другим ветвям.",
    "step.skipped": (
        "Градиент до этого узла не дошёл (его потребители упали или не используют его): backward не вызывался."
    ),
    "step.computes": "Вычисляет {formula}",
    "step.inputs": "Входы:",
    "step.input": "  аргумент {arg} ← узел {node} ({label}): {shape}",
    "step.param_in": "  параметр {attr} ← узел {node} ({label}): {shape}",
    "step.output": "Выход {name}: {value}",
    "step.value": "{shape} = {values}",
    "step.ref": "{label} (узел {node})",
    "note.error": "{type} в {where}: {message}",
    "note.no_gradient": "нет градиента от {label} (узел {node}, ошибка)",
    "note.cell": "ячейка блокнота, строка {line}",
    "problem.failed": "backward выбросил исключение",
    "problem.nonfinite": "NaN / Inf",
    "problem.nonfinite_upstream": "✗ NaN / Inf: градиент сверху содержит {count}",
    "problem.nonfinite_grad": "✗ NaN / Inf: ∂{loss}/∂{name} содержит {count}",
    "problem.nonfinite_value": "✗ NaN / Inf: значение содержит {count}",
    "problem.gradcheck": "✗ проверка градиента ({kind}): {message}",
    "problem.count": "NaN: {nan}, Inf: {inf} из {size} значений",
    "fallback.title": "Рисунка нет: граф слишком велик, чтобы разместить его вовремя",
    "fallback.size": "{nodes} узлов и {edges} рёбер; Graphviz не уложился в timeout={timeout} с.",
    "fallback.hint": (
        "Пройдите по шагам меньшую часть (viz.Stepper(t), t — промежуточный тензор) или задайте timeout=... больше"
    ),
    "fallback.current": "Шаг {k}: узел {node}, {label}",
    "html.title_backward": "Обратное распространение ошибки по шагам",
    "html.title_forward": "Прямой проход по шагам",
    "html.keys": "Клавиши: ← / → — на шаг, Home / End — первый / последний шаг.",
}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "ru": RU}
LANGS = tuple(STRINGS)


def check_lang(lang: str, where: str = "viz") -> str:
    """``lang`` itself if it is a known language, else a :class:`ValueError` naming the known ones."""
    if lang not in STRINGS:
        raise ValueError(f"{where}: lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return lang


def tr(key: str, lang: str = "en", **values: Any) -> str:
    """The string ``key`` in language ``lang``, formatted with ``values`` (plain text, not escaped).

    Raises
    ------
    ValueError
        Unknown language.
    KeyError
        Unknown key, or a field of the template missing from ``values``.
    """
    return STRINGS[check_lang(lang)][key].format(**values)


def fields(template: str) -> frozenset[str]:
    """The ``{fields}`` of a template.

    >>> sorted(fields("step {k} of {n}"))
    ['k', 'n']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
