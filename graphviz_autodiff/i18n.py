"""English and Russian messages of the gradient checker (and, later, the stepper).

One flat dictionary per language, ``MESSAGES[lang][key]``, holding
:meth:`str.format` templates. Both languages must have exactly the same keys
and, for each key, the same ``{fields}`` (a test checks it), so adding a
message means adding it to both tables.

Keys are dotted by area: ``kind.*`` and ``diag.*`` name the verdicts of
:mod:`graphviz_autodiff.debug`, ``msg.*`` are the one-line explanations,
``col.*`` and ``report.*`` the table, ``cli.*`` the ``check`` command.

Examples
--------
>>> from graphviz_autodiff.i18n import tr
>>> tr("kind.wrong_gradient", "ru")
'неверный градиент'
>>> tr("report.all_ok", n=3)
'all 3 nodes pass'
"""

from __future__ import annotations

import string
from typing import Any

__all__ = [
    "LANGS",
    "MESSAGES",
    "I18nError",
    "MissingFieldError",
    "UnknownLanguageError",
    "UnknownMessageError",
    "fields",
    "tr",
]

EN: dict[str, str] = {
    # verdict kinds (debug.KINDS)
    "kind.ok": "ok",
    "kind.wrong_gradient": "wrong gradient",
    "kind.shape": "shape rule",
    "kind.nonfinite_forward": "non-finite in forward",
    "kind.nonfinite_backward": "non-finite in backward",
    "kind.exception": "exception",
    "kind.no_gradient": "no gradient",
    "kind.reuse": "unsafe reuse",
    # diagnoses (debug.DIAGNOSES)
    "diag.sign": "sign flipped",
    "diag.factor": "constant factor",
    "diag.transpose": "transposed",
    "diag.swapped": "arguments swapped",
    "diag.missing_reduction": "missing sum",
    "diag.missing_broadcast": "missing broadcast",
    "diag.zero": "zero gradient",
    "diag.passthrough": "upstream returned unchanged",
    "diag.mutates_upstream": "upstream modified in place",
    "diag.shared_state": "state shared between calls",
    "diag.mutates_input": "input modified in place",
    "diag.propagated": "came from an input",
    "diag.forward": "in forward",
    "diag.gradient_count": "wrong number of gradients",
    # one-line messages
    "msg.ok": "backward matches finite differences (max rel. error {rel})",
    "msg.ok_unchecked": "nothing to check: {why}",
    "msg.leaf_ok": "finite {what}",
    "msg.leaf_nonfinite": "this {what} holds {count}: every op that uses it inherits them",
    "msg.wrong_gradient": "∂L/∂{arg} is wrong (max rel. error {rel}, max abs. error {abs})",
    "msg.sign": "∂L/∂{arg} has the wrong sign: backward returns −1 × the correct gradient",
    "msg.factor": "∂L/∂{arg} is off by a constant factor: backward returns {factor} × the correct gradient",
    "msg.transpose": (
        "∂L/∂{arg} is transposed: backward returns the transpose of the correct gradient (a missing or extra .T)"
    ),
    "msg.swapped": "∂L/∂{arg} is the gradient of {other}: the gradients of two arguments are swapped",
    "msg.zero": "∂L/∂{arg} is zero but should not be (a stale or default value saved instead of the input?)",
    "msg.passthrough": "∂L/∂{arg} is upstream_grad unchanged: multiply it by the local derivative",
    "msg.mutates_upstream": (
        "backward modifies upstream_grad in place; compute a new array (upstream_grad * mask) instead"
    ),
    "msg.shape": "backward returned a gradient of shape {got} for {arg}, which has shape {expected}",
    "msg.shape_transpose": (
        "backward returned a gradient of shape {got} for {arg} of shape {expected}: it looks transposed (a "
        "missing or extra .T)"
    ),
    "msg.shape_reduction": (
        "backward returned a gradient of shape {got} for {arg} of shape {expected}: a sum over axis {axes} is"
        " missing (e.g. grad.sum(axis={axes}))"
    ),
    "msg.shape_broadcast": (
        "backward returned a gradient of shape {got} for {arg} of shape {expected}: broadcast it back to "
        "{expected} (e.g. np.broadcast_to(grad, x.shape))"
    ),
    "msg.shape_swapped": (
        "backward returned the gradient of {other} (shape {got}) for {arg} (shape {expected}): the gradients "
        "are swapped"
    ),
    "msg.param_shape": "backward set {arg}.grad to shape {got}, but {arg} has shape {expected}",
    "msg.nonfinite_forward": "forward produced {count} from finite inputs",
    "msg.nonfinite_propagated": "forward output is non-finite because {arg} already was (not this op's fault)",
    "msg.nonfinite_backward": (
        "backward produced {count} in ∂L/∂{arg} from finite inputs and a finite upstream gradient"
    ),
    "msg.exception": "backward raised {error}",
    "msg.exception_forward": "forward raised {error} when re-run on the recorded inputs",
    "msg.gradient_count": "backward returned {got} gradient(s) but forward took {expected} argument(s)",
    "msg.no_gradient_param": "backward never sets {arg}.grad, but the output depends on {arg}",
    "msg.no_gradient_arg": "backward returned None for {arg}, which needs a gradient",
    "msg.shared_state": (
        "this op instance is called {calls} times, and this call's backward gives a different result once the"
        " other calls have run forward: it keeps state outside self (a class attribute or a global) or writes"
        " into saved arrays in place"
    ),
    "msg.mutates_input": "forward modifies its input {arg} in place; work on a copy (x = x + b, not x += b)",
    "msg.not_recorded": "not checked: argument {arg} was not recorded in the graph",
    "msg.skipped_nonfinite": "not checked: input {arg} is not finite",
    "msg.numeric_nonfinite": "finite differences are not finite for {arg}: the check skipped those elements",
    "why.no_float_output": "the output is not a float array",
    "why.no_float_input": "no float argument or parameter",
    "what.input": "input",
    "what.parameter": "parameter",
    "what.constant": "constant",
    # tables
    "col.index": "#",
    "col.node": "node",
    "col.op": "op",
    "col.kind": "verdict",
    "col.diagnosis": "diagnosis",
    "col.argument": "argument",
    "col.rel": "max rel. err",
    "col.abs": "max abs. err",
    "col.message": "message",
    "report.title": "Gradient check of {n} nodes ({n_ops} op calls): {n_failed} failing",
    "report.all_ok": "all {n} nodes pass",
    "report.culprit": "first culprit: node {node} ({label}): {message}",
    "report.no_culprit": "no culprit: every failing node inherits its failure from an input",
    "report.gradcheck_title": "Gradient check of {label}: {verdict}",
    "report.float32": "{count} float32 value(s) were checked in float64",
    "report.side_by_side": "∂L/∂{argument} of node {node} ({label}), side by side:",
    "report.analytic": "backward returned",
    "report.numeric": "finite differences",
    # the check command
    "cli.ops_title": "Ops defined in {path}",
    "cli.lecture_title": (
        "Lecture-5 graph (Linear(4) on X (8, 4), Identity, Squared, Sum) built from the student's classes"
    ),
    "cli.no_lecture": "no lecture-5 graph: the file does not define all of {missing}",
    "cli.cannot_instantiate": (
        "cannot instantiate: {error}; define check_init (a tuple of positional or a dict of keyword arguments)"
    ),
    "cli.bad_inputs": "cannot make inputs: {error}; define check_inputs (see graphviz_autodiff.cli.check)",
    "cli.abstract": "skipped: no forward/backward of its own (a base class)",
    "cli.hint_inputs": "the default inputs are standard normal; declare check_inputs if forward needs another domain",
    "cli.not_found": "no such file: {path}",
    "cli.not_python": "not a Python file (.py): {path}",
    "cli.no_ops": (
        "no Differentiable subclasses defined in {path} (classes must derive from graphviz_autodiff.Differentiable)"
    ),
    "cli.timeout": "timed out after {seconds} s (an infinite loop in forward or backward?)",
    "cli.timeout_where": "it was running {where}",
    "cli.crash": "the student file crashed: {error}",
    "cli.crash_exit": "the checker process died with exit code {code}",
    "cli.svg_written": "coloured graph written to {path}",
    "cli.svg_unavailable": "no drawing written: {why}",
    "cli.svg_no_graph": "there is no graph to draw",
    "cli.summary_ok": "all {n} checks pass",
    "cli.summary_fail": "{n_failed} of {n} checks fail",
    # added for issue 13 (debugger)
    "kind.wrong_type": "wrong type",
    "kind.inherits_wrong": "inherits a wrong gradient",
    "diag.ignores_upstream": "ignores upstream_grad",
    "diag.missing_outer": "missing outer product",
    "diag.boolean": "boolean gradient",
    "diag.complex": "complex gradient",
    "diag.string": "string gradient",
    "diag.not_numeric": "not an array of numbers",
    "diag.output_type": "forward output not real numbers",
    "diag.factor_missing": "missing factor {factor}",
    "diag.factor_extra": "extra factor {factor}",
    "msg.factor_missing": (
        "∂L/∂{arg} is too small by a constant factor: backward returns {factor} × the correct gradient"
        " (a factor {inverse} is missing{sign})"
    ),
    "msg.factor_extra": (
        "∂L/∂{arg} is too large by a constant factor: backward returns {factor} × the correct gradient"
        " (an extra factor {size}{sign})"
    ),
    "msg.factor_sign": ", and the sign is wrong",
    "msg.ignores_upstream": (
        "∂L/∂{arg} ignores upstream_grad: backward returns the same gradient whatever upstream_grad is; "
        "multiply the local derivative by upstream_grad"
    ),
    "msg.shape_outer": (
        "backward returned a gradient of shape {got} for {arg} of shape {expected}: the gradient is an outer "
        "product with upstream_grad (e.g. np.outer(upstream_grad, ...))"
    ),
    "msg.type_boolean": (
        "{op}.backward returned a boolean array for {arg} (a mask such as x > 0?): multiply it with upstream_grad"
        " (upstream_grad * (x > 0))"
    ),
    "msg.type_complex": "{op}.backward returned a complex array ({got}) for {arg}; gradients are real numbers",
    "msg.type_string": "{op}.backward returned text ({got}) for {arg} instead of an array of numbers",
    "msg.type_not_numeric": "{op}.backward returned a {got} for {arg} instead of an array of numbers",
    "msg.output_type": "{op}.forward returned {got}, not an array of real numbers",
    "msg.no_gradient_data": (
        "backward returned None for {arg}, which needs a gradient; if {arg} is data (a target), pass it as "
        "Tensor({arg}, requires_grad=False)"
    ),
    "msg.exception_at": "{op}.backward raised {error} at {where}",
    "msg.exception_forward_at": "{op}.forward raised {error} at {where} when re-run on the recorded inputs",
    "msg.inherits_wrong": (
        "this node's backward is right, but the gradient it received is already wrong (max rel. error {rel}):"
        " it comes from node {node} ({label})"
    ),
    "msg.check_failed": "the checker could not run this op: {error}",
    "report.cast": "{count} array(s) of {dtypes} were checked in float64",
    "report.inherited": "{n} node(s) inherit a wrong gradient from the culprit",
    "diag.wrong_mask": "mask on the wrong array",
    "msg.wrong_mask": (
        "∂L/∂{arg} has the right values where it is not zero, but zeros in the wrong places: the mask is computed"
        " on the wrong array (e.g. upstream_grad > 0 instead of x > 0)"
    ),
    "cli.forward_raised": "building the graph failed: forward raised {error} at {where}",
}

RU: dict[str, str] = {
    "kind.ok": "ок",
    "kind.wrong_gradient": "неверный градиент",
    "kind.shape": "правило формы",
    "kind.nonfinite_forward": "не-число в прямом проходе",
    "kind.nonfinite_backward": "не-число в обратном проходе",
    "kind.exception": "исключение",
    "kind.no_gradient": "нет градиента",
    "kind.reuse": "небезопасное повторное использование",
    "diag.sign": "неверный знак",
    "diag.factor": "постоянный множитель",
    "diag.transpose": "транспонирован",
    "diag.swapped": "аргументы перепутаны",
    "diag.missing_reduction": "не хватает суммы",
    "diag.missing_broadcast": "не хватает расширения",
    "diag.zero": "нулевой градиент",
    "diag.passthrough": "upstream возвращён без изменений",
    "diag.mutates_upstream": "upstream изменён на месте",
    "diag.shared_state": "общее состояние вызовов",
    "diag.mutates_input": "вход изменён на месте",
    "diag.propagated": "пришло со входа",
    "diag.forward": "в прямом проходе",
    "diag.gradient_count": "не то число градиентов",
    "msg.ok": "backward совпадает с конечными разностями (макс. отн. ошибка {rel})",
    "msg.ok_unchecked": "нечего проверять: {why}",
    "msg.leaf_ok": "{what}: значения конечны",
    "msg.leaf_nonfinite": "{what} содержит {count}: их наследует каждая операция, которая его использует",
    "msg.wrong_gradient": "∂L/∂{arg} неверен (макс. отн. ошибка {rel}, макс. абс. ошибка {abs})",
    "msg.sign": "у ∂L/∂{arg} неверный знак: backward возвращает −1 × правильный градиент",
    "msg.factor": "∂L/∂{arg} отличается постоянным множителем: backward возвращает {factor} × правильный градиент",
    "msg.transpose": (
        "∂L/∂{arg} транспонирован: backward возвращает транспонированный правильный градиент (лишнее или забытое .T)"
    ),
    "msg.swapped": "∂L/∂{arg} равен градиенту по {other}: градиенты двух аргументов перепутаны",
    "msg.zero": "∂L/∂{arg} равен нулю, а не должен (сохранено старое или начальное значение вместо входа?)",
    "msg.passthrough": "∂L/∂{arg} — это upstream_grad без изменений: умножьте его на локальную производную",
    "msg.mutates_upstream": "backward изменяет upstream_grad на месте; создайте новый массив (upstream_grad * mask)",
    "msg.shape": "backward вернул градиент формы {got} для {arg}, а у {arg} форма {expected}",
    "msg.shape_transpose": (
        "backward вернул градиент формы {got} для {arg} формы {expected}: похоже, он транспонирован (лишнее "
        "или забытое .T)"
    ),
    "msg.shape_reduction": (
        "backward вернул градиент формы {got} для {arg} формы {expected}: не хватает суммы по оси {axes} "
        "(например, grad.sum(axis={axes}))"
    ),
    "msg.shape_broadcast": (
        "backward вернул градиент формы {got} для {arg} формы {expected}: расширьте его обратно до {expected}"
        " (например, np.broadcast_to(grad, x.shape))"
    ),
    "msg.shape_swapped": (
        "backward вернул градиент по {other} (форма {got}) для {arg} (форма {expected}): градиенты перепутаны"
    ),
    "msg.param_shape": "backward записал в {arg}.grad массив формы {got}, а у {arg} форма {expected}",
    "msg.nonfinite_forward": "forward выдал {count} на конечных входах",
    "msg.nonfinite_propagated": "выход не конечен, потому что {arg} уже не конечен (операция не виновата)",
    "msg.nonfinite_backward": "backward выдал {count} в ∂L/∂{arg} при конечных входах и конечном upstream-градиенте",
    "msg.exception": "backward выбросил {error}",
    "msg.exception_forward": "forward выбросил {error} при повторном запуске на записанных входах",
    "msg.gradient_count": "backward вернул градиентов: {got}, а forward принимает аргументов: {expected}",
    "msg.no_gradient_param": "backward не записывает {arg}.grad, хотя выход зависит от {arg}",
    "msg.no_gradient_arg": "backward вернул None для {arg}, которому нужен градиент",
    "msg.shared_state": (
        "этот экземпляр операции вызван {calls} раз(а), и backward этого вызова даёт другой результат после "
        "прямых проходов остальных вызовов: состояние хранится вне self (атрибут класса или глобальная "
        "переменная) или сохранённые массивы перезаписываются на месте"
    ),
    "msg.mutates_input": "forward изменяет свой вход {arg} на месте; работайте с копией (x = x + b, а не x += b)",
    "msg.not_recorded": "не проверено: аргумент {arg} не записан в граф",
    "msg.skipped_nonfinite": "не проверено: вход {arg} не конечен",
    "msg.numeric_nonfinite": "конечные разности для {arg} не конечны: эти элементы пропущены",
    "why.no_float_output": "выход не является массивом чисел с плавающей точкой",
    "why.no_float_input": "нет аргументов или параметров с плавающей точкой",
    "what.input": "вход",
    "what.parameter": "параметр",
    "what.constant": "константа",
    "col.index": "№",
    "col.node": "узел",
    "col.op": "операция",
    "col.kind": "вердикт",
    "col.diagnosis": "диагноз",
    "col.argument": "аргумент",
    "col.rel": "макс. отн. ош.",
    "col.abs": "макс. абс. ош.",
    "col.message": "сообщение",
    "report.title": "Проверка градиентов: узлов {n} (вызовов операций {n_ops}), с ошибками {n_failed}",
    "report.all_ok": "все узлы ({n}) в порядке",
    "report.culprit": "первый виновник: узел {node} ({label}): {message}",
    "report.no_culprit": "виновника нет: каждый ошибочный узел унаследовал ошибку от входа",
    "report.gradcheck_title": "Проверка градиента {label}: {verdict}",
    "report.float32": "значений float32 проверено в float64: {count}",
    "report.side_by_side": "∂L/∂{argument} узла {node} ({label}), рядом:",
    "report.analytic": "вернул backward",
    "report.numeric": "конечные разности",
    "cli.ops_title": "Операции из {path}",
    "cli.lecture_title": "Граф лекции 5 (Linear(4) на X (8, 4), Identity, Squared, Sum) из классов студента",
    "cli.no_lecture": "графа лекции 5 нет: в файле определены не все из {missing}",
    "cli.cannot_instantiate": (
        "не удалось создать экземпляр: {error}; задайте check_init (кортеж позиционных или словарь "
        "именованных аргументов)"
    ),
    "cli.bad_inputs": "не удалось создать входы: {error}; задайте check_inputs (см. graphviz_autodiff.cli.check)",
    "cli.abstract": "пропущено: нет собственных forward/backward (базовый класс)",
    "cli.hint_inputs": (
        "входы по умолчанию — стандартные нормальные; задайте check_inputs, если forward нужна другая область"
    ),
    "cli.not_found": "файл не найден: {path}",
    "cli.not_python": "это не файл Python (.py): {path}",
    "cli.no_ops": (
        "в {path} не определено ни одного наследника Differentiable (классы должны наследовать "
        "graphviz_autodiff.Differentiable)"
    ),
    "cli.timeout": "превышено время ожидания {seconds} с (бесконечный цикл в forward или backward?)",
    "cli.timeout_where": "в этот момент выполнялось: {where}",
    "cli.crash": "файл студента упал: {error}",
    "cli.crash_exit": "процесс проверки завершился с кодом {code}",
    "cli.svg_written": "раскрашенный граф записан в {path}",
    "cli.svg_unavailable": "рисунок не записан: {why}",
    "cli.svg_no_graph": "нет графа для рисунка",
    "cli.summary_ok": "все проверки ({n}) пройдены",
    "cli.summary_fail": "не пройдено проверок: {n_failed} из {n}",
    # added for issue 13 (debugger)
    "kind.wrong_type": "неверный тип",
    "kind.inherits_wrong": "унаследовал неверный градиент",
    "diag.ignores_upstream": "upstream_grad не используется",
    "diag.missing_outer": "не хватает внешнего произведения",
    "diag.boolean": "булев градиент",
    "diag.complex": "комплексный градиент",
    "diag.string": "градиент-строка",
    "diag.not_numeric": "не массив чисел",
    "diag.output_type": "выход forward не вещественный",
    "diag.factor_missing": "не хватает множителя {factor}",
    "diag.factor_extra": "лишний множитель {factor}",
    "msg.factor_missing": (
        "∂L/∂{arg} меньше в постоянное число раз: backward возвращает {factor} × правильный градиент"
        " (не хватает множителя {inverse}{sign})"
    ),
    "msg.factor_extra": (
        "∂L/∂{arg} больше в постоянное число раз: backward возвращает {factor} × правильный градиент"
        " (лишний множитель {size}{sign})"
    ),
    "msg.factor_sign": ", и знак неверный",
    "msg.ignores_upstream": (
        "∂L/∂{arg} не использует upstream_grad: backward возвращает один и тот же градиент при любом "
        "upstream_grad; умножьте локальную производную на upstream_grad"
    ),
    "msg.shape_outer": (
        "backward вернул градиент формы {got} для {arg} формы {expected}: градиент — внешнее произведение с "
        "upstream_grad (например, np.outer(upstream_grad, ...))"
    ),
    "msg.type_boolean": (
        "{op}.backward вернул булев массив для {arg} (маску вроде x > 0?): умножьте на неё upstream_grad"
        " (upstream_grad * (x > 0))"
    ),
    "msg.type_complex": "{op}.backward вернул комплексный массив ({got}) для {arg}; градиенты — вещественные числа",
    "msg.type_string": "{op}.backward вернул текст ({got}) для {arg} вместо массива чисел",
    "msg.type_not_numeric": "{op}.backward вернул {got} для {arg} вместо массива чисел",
    "msg.output_type": "{op}.forward вернул {got}, а не массив вещественных чисел",
    "msg.no_gradient_data": (
        "backward вернул None для {arg}, которому нужен градиент; если {arg} — данные (цель), передайте "
        "Tensor({arg}, requires_grad=False)"
    ),
    "msg.exception_at": "{op}.backward выбросил {error} в {where}",
    "msg.exception_forward_at": "{op}.forward выбросил {error} в {where} при повторном запуске на записанных входах",
    "msg.inherits_wrong": (
        "backward этого узла верен, но полученный им градиент уже неверен (макс. отн. ошибка {rel}):"
        " он пришёл от узла {node} ({label})"
    ),
    "msg.check_failed": "проверка не смогла выполнить эту операцию: {error}",
    "report.cast": "массивов {dtypes}, проверенных в float64: {count}",
    "report.inherited": "узлов, унаследовавших неверный градиент от виновника: {n}",
    "diag.wrong_mask": "маска не от того массива",
    "msg.wrong_mask": (
        "∂L/∂{arg} верен там, где он не ноль, но нули стоят не там: маска вычислена не по тому массиву"
        " (например, upstream_grad > 0 вместо x > 0)"
    ),
    "cli.forward_raised": "граф не построен: forward выбросил {error} в {where}",
}

MESSAGES: dict[str, dict[str, str]] = {"en": EN, "ru": RU}
LANGS: tuple[str, ...] = tuple(MESSAGES)


class I18nError(KeyError):
    """A message could not be produced (unknown language, unknown key, missing field).

    Derives from :class:`KeyError` (it is a failed lookup) but prints its
    message plainly instead of ``KeyError``'s quoted ``repr``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownLanguageError(I18nError):
    """``lang`` is not one of :data:`LANGS`."""


class UnknownMessageError(I18nError):
    """No message has this key."""


class MissingFieldError(I18nError):
    """The message needs a ``{field}`` that the call did not pass."""


def fields(template: str) -> frozenset[str]:
    """The names of the ``{fields}`` of a :meth:`str.format` template.

    >>> sorted(fields("∂L/∂{arg} is off by {factor}"))
    ['arg', 'factor']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def tr(key: str, lang: str = "en", **fmt: Any) -> str:
    """The message ``key`` in language ``lang``, formatted with ``fmt``.

    Parameters
    ----------
    key : str
        A key of :data:`MESSAGES` (``"kind.shape"``, ``"msg.factor"``...).
    lang : {"en", "ru"}
        The language.
    **fmt
        Values of the message's ``{fields}``; extra values are ignored.

    Raises
    ------
    UnknownLanguageError, UnknownMessageError, MissingFieldError
        All :class:`KeyError` subclasses, with a message saying what exists.

    Examples
    --------
    >>> tr("msg.factor", "en", arg="θ", factor=2)
    '∂L/∂θ is off by a constant factor: backward returns 2 × the correct gradient'
    """
    table = MESSAGES.get(lang)
    if table is None:
        raise UnknownLanguageError(f"unknown language {lang!r}; available: {', '.join(LANGS)}")
    template = table.get(key)
    if template is None:
        area = key.split(".", 1)[0] + "."
        near = sorted(k for k in table if k.startswith(area))[:8]
        hint = f"; keys starting with {area!r}: {', '.join(near)}" if near else ""
        raise UnknownMessageError(f"no message {key!r} in language {lang!r}{hint}")
    try:
        return template.format(**fmt)
    except KeyError as error:
        raise MissingFieldError(
            f"message {key!r} needs the field {error.args[0]!r}; pass tr({key!r}, {lang!r}, "
            f"{', '.join(f'{name}=...' for name in sorted(fields(template)))})"
        ) from None
