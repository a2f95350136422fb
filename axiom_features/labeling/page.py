"""HTML of the annotation page: the annotator's name form, one item with its chart, features,
class buttons with keyboard shortcuts, skip and comment, and progress."""

from __future__ import annotations

from html import escape

from axiom_features.labeling.schema import LabelSchema

SKIP_KEY = "s"

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:780px}
button{font-size:1rem;margin:.2rem;padding:.4rem .8rem}#features td{padding:0 .6rem}
kbd{border:1px solid #888;border-radius:3px;padding:0 .25rem;font-size:.8rem}"""

_KEYS = """<script>
document.addEventListener('keydown', function (e) {
  var tag = e.target.tagName;
  if (tag === 'TEXTAREA' || tag === 'INPUT' || e.ctrlKey || e.metaKey || e.altKey) return;
  var button = document.querySelector('button[data-key="' + e.key + '"]');
  if (button) { e.preventDefault(); button.click(); }
});
</script>"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")  # fmt: skip


def name_form(schema: LabelSchema) -> str:
    body = (
        f"<h1>{escape(schema.ref)}</h1><p id='guideline'>{escape(schema.guideline)}</p>"
        "<form id='who' method='get' action='/'><label>Your name "
        "<input id='annotator' name='annotator' required autofocus></label>"
        "<button id='start' type='submit'>Start</button></form>"
    )
    return _page(f"Label {schema.name}", body)


def done_page(schema: LabelSchema, annotator: str, done: int, total: int) -> str:
    body = (f"<h1>{escape(schema.ref)}</h1><p id='finished'>All done, {escape(annotator)}: "
            f"<span id='progress' data-done='{done}' data-total='{total}'>{done} / {total}"
            "</span></p>")  # fmt: skip
    return _page("Done", body)


def item_page(
    schema: LabelSchema,
    annotator: str,
    item: str,
    chart: str,
    features: str,
    done: int,
    total: int,
) -> str:
    choices = "".join(
        f"<button type='submit' class='choice' name='choice' value='{c.value}' "
        f"data-key='{escape(c.key)}'>{escape(c.name)} <kbd>{escape(c.key)}</kbd></button>"
        for c in schema.classes
    )
    body = f"""<h1>{escape(schema.ref)}</h1>
<p id='guideline'>{escape(schema.guideline)}</p>
<p>Annotator: <strong id='who'>{escape(annotator)}</strong> ·
<span id='progress' data-done='{done}' data-total='{total}'>{done} / {total}</span></p>
<h2 id='item' data-item='{escape(item)}'>{escape(item)}</h2>
{chart}
{features}
<form id='annotate' method='post' action='/annotate'>
<input type='hidden' name='annotator' value='{escape(annotator)}'>
<input type='hidden' name='item' value='{escape(item)}'>
<p><textarea id='comment' name='comment' rows='2' cols='60' placeholder='comment'></textarea></p>
<p id='choices'>{choices}
<button type='submit' id='skip' name='skip' value='1' data-key='{SKIP_KEY}'>skip
<kbd>{SKIP_KEY}</kbd></button></p>
</form>
{_KEYS}"""
    return _page(f"Label {item}", body)
