"""Every word the viewer shows (buttons, tooltips, hover card, status line), in English and Russian.

The front end has no words of its own: :func:`viz.viewer.payload.build_payload` puts the table of the
stepper's language into the payload (``payload["strings"]``), and ``viewer.js`` reads it. Templates use
``{name}`` fields, filled in by the front end (``{k}``, ``{n}``, ...); both languages have the same keys
and the same fields (a test checks it). The strings are plain text: the front end sets them with
``textContent`` or as attribute values, never as HTML.
"""

from __future__ import annotations

__all__ = ["LANGS", "STRINGS", "strings"]

# i18n: moved to the catalogue by the lead
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "button.first": "⇤ first",
        "button.back": "◀ back",
        "button.next": "next ▶",
        "button.last": "last ⇥",
        "button.play": "▶ play",
        "button.pause": "⏸ pause",
        "button.run_to": "run to",
        "button.problem": "next problem",
        "button.fit": "fit",
        "button.zoom_in": "+",
        "button.zoom_out": "−",
        "button.reset": "reset view",
        "tooltip.first": "Step 0: nothing computed yet (Home)",
        "tooltip.back": "One step back, nothing is recomputed (←)",
        "tooltip.next": "One step forward (→)",
        "tooltip.last": "The last step: the pass is complete (End)",
        "tooltip.play": "Play the steps as an animation (space)",
        "tooltip.speed": "Milliseconds per step while playing",
        "tooltip.slider": "Jump to any step",
        "tooltip.target": "The node to run to",
        "tooltip.run_to": "Go to the step of the chosen node",
        "tooltip.problem": "Go to the next step with a problem: an exception, NaN/Inf, or a failed gradient check",
        "tooltip.fit": "Show the whole graph",
        "tooltip.zoom_in": "Zoom in (or Ctrl + mouse wheel)",
        "tooltip.zoom_out": "Zoom out (or Ctrl + mouse wheel)",
        "tooltip.reset": "Back to the readable zoom, centred on the current node",
        "label.speed": "{ms} ms/step",
        "label.step": "step",
        "label.steps": "Steps",
        "label.picture": "Computational graph; drag to pan, Ctrl + wheel to zoom, hover a node for details",
        "label.text": "What this step did",
        "label.keys": "Keys: ← / → one step · Home / End first / last · space play / pause · drag to pan",
        "status.counter": "step {k} of {n}",
        "status.no_problem": "No problem after step {k}.",
        "status.problem": "Stopped at step {k}: {kind}.",
        "status.reached": "Step {k}: {label} (node {node}).",
        "list.start": "start: nothing computed",
        "list.step": "{k}. {title}",
        "target.option": "{title} · step {k}",
        "card.node": "node {node}",
        "card.kind.op": "op call",
        "card.kind.input": "input",
        "card.kind.parameter": "parameter",
        "card.kind.constant": "constant",
        "card.op": "op",
        "card.shape": "shape",
        "card.dtype": "dtype",
        "card.value": "value",
        "card.grad": "gradient",
        "card.chain": "chain rule",
        "card.scalar": "scalar",
        "card.none": "—",
        "card.pending": "— (from step {k})",
        "card.no_grad": "none",
        "card.stats": "min {min} · mean {mean} · max {max}",
        "card.nonfinite": "NaN: {nan} · Inf: {inf} of {size}",
    },
    "ru": {
        "button.first": "⇤ в начало",
        "button.back": "◀ назад",
        "button.next": "вперёд ▶",
        "button.last": "в конец ⇥",
        "button.play": "▶ пуск",
        "button.pause": "⏸ пауза",
        "button.run_to": "выполнить до",
        "button.problem": "к проблеме",
        "button.fit": "целиком",
        "button.zoom_in": "+",
        "button.zoom_out": "−",
        "button.reset": "исходный вид",
        "tooltip.first": "Шаг 0: ещё ничего не вычислено (Home)",
        "tooltip.back": "На шаг назад, ничего не пересчитывается (←)",
        "tooltip.next": "На шаг вперёд (→)",
        "tooltip.last": "Последний шаг: проход завершён (End)",
        "tooltip.play": "Проиграть шаги как анимацию (пробел)",
        "tooltip.speed": "Миллисекунд на шаг при проигрывании",
        "tooltip.slider": "Перейти к любому шагу",
        "tooltip.target": "Узел, до которого выполнять",
        "tooltip.run_to": "Перейти к шагу выбранного узла",
        "tooltip.problem": (
            "Перейти к следующему шагу с проблемой: исключение, NaN/Inf или непройденная проверка градиента"
        ),
        "tooltip.fit": "Показать граф целиком",
        "tooltip.zoom_in": "Крупнее (или Ctrl + колесо мыши)",
        "tooltip.zoom_out": "Мельче (или Ctrl + колесо мыши)",
        "tooltip.reset": "Вернуть читаемый масштаб с текущим узлом в центре",
        "label.speed": "{ms} мс/шаг",
        "label.step": "шаг",
        "label.steps": "Шаги",
        "label.picture": (
            "Вычислительный граф; перетаскивание сдвигает, Ctrl + колесо меняет масштаб, "
            "наведите на узел, чтобы увидеть подробности"
        ),
        "label.text": "Что сделал этот шаг",
        "label.keys": (
            "Клавиши: ← / → на шаг · Home / End первый / последний шаг · пробел пуск / пауза · перетаскивание сдвигает"
        ),
        "status.counter": "шаг {k} из {n}",
        "status.no_problem": "После шага {k} проблем нет.",
        "status.problem": "Остановка на шаге {k}: {kind}.",
        "status.reached": "Шаг {k}: {label} (узел {node}).",
        "list.start": "начало: ничего не вычислено",
        "list.step": "{k}. {title}",
        "target.option": "{title} · шаг {k}",
        "card.node": "узел {node}",
        "card.kind.op": "вызов операции",
        "card.kind.input": "вход",
        "card.kind.parameter": "параметр",
        "card.kind.constant": "константа",
        "card.op": "операция",
        "card.shape": "форма",
        "card.dtype": "тип",
        "card.value": "значение",
        "card.grad": "градиент",
        "card.chain": "цепное правило",
        "card.scalar": "скаляр",
        "card.none": "—",
        "card.pending": "— (с шага {k})",
        "card.no_grad": "нет",
        "card.stats": "мин {min} · среднее {mean} · макс {max}",
        "card.nonfinite": "NaN: {nan} · Inf: {inf} из {size}",
    },
}

LANGS = tuple(STRINGS)


def strings(lang: str) -> dict[str, str]:
    """A copy of the viewer's table in ``lang``.

    Raises
    ------
    ValueError
        ``lang`` is not one of :data:`LANGS`.

    Examples
    --------
    >>> strings("ru")["button.next"]
    'вперёд ▶'
    """
    if lang not in STRINGS:
        raise ValueError(f"viz.viewer: lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return dict(STRINGS[lang])
