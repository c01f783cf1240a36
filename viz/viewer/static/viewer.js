// The step viewer of graphviz_autodiff: one front end for the Jupyter widget (anywidget) and the exported page.
//
// Interface (anywidget's): `export default { render({ model, el }) }`. The model offers
//   model.get(name), model.set(name, value), model.save_changes(), model.on("change:NAME", cb), model.off(...)
// with the traits `payload` (the JSON built by viz/viewer/payload.py, schema there), `step` (an int, synced
// both ways) and `speed` (ms per step while playing). The exported page drives the same code with a small
// adapter (page.js) that keeps those traits in memory.
//
// This file is not loaded alone: viz/viewer/assets.py prepends the vendored svg-pan-zoom, which defines the
// constant `svgPanZoom` used below. No network, no eval, no innerHTML of user strings: the SVG is our own
// (names inside it were escaped by Graphviz), every other text is set with textContent or as an attribute.
//
// Stepping never waits for the kernel: a click swaps the changed node and edge groups of the picture (the
// payload holds every variant of every group), pans to the current node, then tells the model.

const VERSION = 2;
const FORM_FIELDS = new Set(["INPUT", "SELECT", "TEXTAREA"]);

function fmt(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function editable(node) {
  if (!node || node === document.body) return false;
  if (FORM_FIELDS.has(node.tagName) || node.isContentEditable) return true;
  return Boolean(node.closest && node.closest(".cm-editor, .CodeMirror, .jp-InputArea-editor"));
}

function matrixOf(element) {
  const t = element.transform && element.transform.baseVal.consolidate();
  const m = t && t.matrix;
  return m ? new DOMMatrix([m.a, m.b, m.c, m.d, m.e, m.f]) : new DOMMatrix();
}

// -- the frames: skeleton + element variants + a row of variant indices per step ---------------------------
// (format "error": Graphviz could not draw them; `error` holds the message shown instead of the picture.)
class Frames {
  constructor(svg, n) {
    this.error = null;
    if (svg.format === "error") {
      this.error = String(svg.message);
      this.skeleton = [""];
      this.ids = [];
      this.variants = [];
      this.rows = Array.from({ length: n + 1 }, () => new Int32Array(0));
      this.size = 0;
      return;
    }
    if (svg.format !== "splice") throw new Error(`viz viewer: unknown frame format ${svg.format}`);
    this.skeleton = svg.skeleton;
    this.ids = svg.elements.map((e) => e[0]);
    this.variants = svg.elements.map((e) => e[1]);
    const m = this.ids.length;
    this.rows = [Int32Array.from(svg.rows0)];
    for (const change of svg.changes) {
      const row = Int32Array.from(this.rows[this.rows.length - 1]);
      for (let i = 0; i < change.length; i += 2) row[change[i]] = change[i + 1];
      this.rows.push(row);
    }
    this.size = m;
  }

  text(k) {
    const row = this.rows[k];
    const parts = [this.skeleton[0]];
    for (let i = 0; i < this.size; i++) parts.push(this.variants[i][row[i]], this.skeleton[i + 1]);
    return parts.join("");
  }
}

// -- one view ------------------------------------------------------------------------------------------------
class View {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    const onStep = () => this.frames && this.goto(this.model.get("step"), { fromModel: true });
    const onPayload = () => this.rebuild();
    const onSpeed = () => this.frames && this.setSpeed(this.model.get("speed"), { fromModel: true });
    model.on("change:step", onStep);
    model.on("change:payload", onPayload);
    model.on("change:speed", onSpeed);
    this.offModel = () => {
      model.off("change:step", onStep);
      model.off("change:payload", onPayload);
      model.off("change:speed", onSpeed);
    };
    this.build();
  }

  // -- construction --------------------------------------------------------------------------------------
  build() {
    this.cleanups = [];
    this.frames = null;
    const p = this.model.get("payload");
    this.p = p;
    this.s = (p && p.strings) || {};
    this.el.replaceChildren();
    if (!p || p.version !== VERSION) {
      this.el.append(make("div", "gad-viewer-error", `viz viewer: payload version ${p && p.version} is not ${VERSION}`));
      return;
    }
    this.n = p.n_steps;
    this.frames = new Frames(p.svg, p.n_steps);
    this.nodes = new Map(p.nodes.map((info) => [info.element, info]));
    this.k = Math.max(0, Math.min(this.n, Number(this.model.get("step")) || 0));
    this.playing = null;
    this.hovered = false;
    this.boxes = new Map();

    const root = make("div", "gad-viewer");
    root.tabIndex = 0;
    root.lang = p.lang;
    root.dataset.direction = p.direction;
    root.classList.add(p.view.picture === "dark" ? "gad-picture-dark" : "gad-picture-light");
    if (p.view.fallback) root.classList.add("gad-fallback");
    this.root = root;
    root.append(this.buildToolbar(), this.buildStatus(), this.buildLegend(), this.buildCanvas(), this.buildBottom(), this.card);
    this.el.append(root);
    this.mountPicture();
    this.listen();
    this.show(this.k, { center: false });
  }

  rebuild() {
    this.teardown();
    this.build();
  }

  button(key, className, onClick) {
    const b = make("button", `gad-button ${className}`, this.s[`button.${key}`]);
    b.type = "button";
    b.title = this.s[`tooltip.${key}`] || "";
    b.addEventListener("click", onClick);
    return b;
  }

  buildToolbar() {
    const bar = make("div", "gad-toolbar");
    const nav = make("div", "gad-group gad-nav");
    nav.append(
      this.button("first", "gad-first", () => this.user(0)),
      this.button("back", "gad-back", () => this.user(this.k - 1)),
      this.button("next", "gad-next", () => this.user(this.k + 1)),
      this.button("last", "gad-last", () => this.user(this.n)),
    );
    const play = make("div", "gad-group gad-playing");
    this.playButton = this.button("play", "gad-play", () => this.togglePlay());
    this.speed = make("input", "gad-speed");
    Object.assign(this.speed, { type: "range", min: "100", max: "3000", step: "100" });
    this.speed.title = this.s["tooltip.speed"] || "";
    this.speed.setAttribute("aria-label", this.s["tooltip.speed"] || "");
    this.speedLabel = make("span", "gad-speed-label");
    this.speed.addEventListener("input", () => this.setSpeed(Number(this.speed.value)));
    play.append(this.playButton, this.speed, this.speedLabel);
    this.setSpeed(Number(this.model.get("speed")) || 800, { fromModel: true });

    const jump = make("div", "gad-group gad-jump");
    this.slider = make("input", "gad-slider");
    Object.assign(this.slider, { type: "range", min: "0", max: String(this.n), step: "1" });
    this.slider.title = this.s["tooltip.slider"] || "";
    this.slider.setAttribute("aria-label", this.s["label.step"] || "");
    this.slider.addEventListener("input", () => this.user(Number(this.slider.value)));
    this.counter = make("span", "gad-counter");
    jump.append(this.slider, this.counter);

    const run = make("div", "gad-group gad-run");
    this.target = make("select", "gad-target");
    this.target.title = this.s["tooltip.target"] || "";
    this.target.setAttribute("aria-label", this.s["tooltip.target"] || "");
    // By step; within a step, the step's own op call first.
    const own = (info) => (this.p.steps[info.step - 1] && this.p.steps[info.step - 1].node === info.id ? 0 : 1);
    const byStep = [...this.p.nodes].sort((a, b) => a.step - b.step || own(a) - own(b) || a.id - b.id);
    for (const info of byStep) {
      const option = make("option", "", fmt(this.s["target.option"], { title: info.title, k: info.step }));
      option.value = String(info.id);
      this.target.append(option);
    }
    run.append(
      this.target,
      this.button("run_to", "gad-run-to", () => this.runTo()),
      this.button("problem", "gad-problem", () => this.nextProblem()),
    );

    const zoom = make("div", "gad-group gad-zoom");
    zoom.append(
      this.button("fit", "gad-fit", () => this.fit()),
      this.button("zoom_out", "gad-zoom-out", () => this.zoomBy(1 / 1.25)),
      this.button("zoom_in", "gad-zoom-in", () => this.zoomBy(1.25)),
      this.button("reset", "gad-reset", () => this.initialView()),
    );
    bar.append(nav, play, jump, run, zoom);
    return bar;
  }

  buildStatus() {
    const status = make("div", "gad-status");
    this.message = make("span", "gad-message");
    this.message.setAttribute("aria-live", "polite");
    const keys = make("span", "gad-keys", this.s["label.keys"]);
    status.append(this.message, keys);
    return status;
  }

  // The node states the walk shows, with the drawing's own colours (set as style properties, not HTML).
  buildLegend() {
    const legend = make("div", "gad-legend");
    if (!this.p.legend || !this.p.legend.length) {
      legend.hidden = true;
      return legend;
    }
    legend.append(make("span", "gad-legend-title", this.s["legend.title"]));
    for (const entry of this.p.legend) {
      const item = make("span", `gad-legend-item gad-state-${entry.state}`);
      const swatch = make("span", "gad-swatch");
      swatch.style.backgroundColor = entry.fill;
      swatch.style.borderColor = entry.border;
      if (entry.state === "pending") swatch.style.borderStyle = "dashed";
      item.append(swatch, make("span", "gad-legend-label", entry.label));
      legend.append(item);
    }
    return legend;
  }

  buildCanvas() {
    this.canvas = make("div", "gad-canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", this.s["label.picture"] || "");
    this.card = make("div", "gad-card");
    this.card.hidden = true;
    return this.canvas;
  }

  buildBottom() {
    const bottom = make("div", "gad-bottom");
    this.text = make("div", "gad-text");
    this.text.setAttribute("aria-label", this.s["label.text"] || "");
    const aside = make("div", "gad-steps-box");
    aside.append(make("div", "gad-steps-title", this.s["label.steps"]));
    this.list = make("ol", "gad-steps");
    this.items = [];
    for (let k = 0; k <= this.n; k++) {
      const title = k === 0 ? this.s["list.start"] : fmt(this.s["list.step"], { k, title: this.p.steps[k - 1].title });
      const li = make("li", "gad-step");
      const b = make("button", "gad-step-button", title);
      b.type = "button";
      b.dataset.step = String(k);
      if (this.p.problems[k]) li.classList.add("gad-has-problem");
      b.addEventListener("click", () => this.user(k));
      li.append(b);
      this.list.append(li);
      this.items.push(li);
    }
    aside.append(this.list);
    bottom.append(this.text, aside);
    return bottom;
  }

  // -- the picture ------------------------------------------------------------------------------------------
  mountPicture() {
    this.dom = [];
    this.shown = new Int32Array(0);
    this.cache = [];
    this.zoomer = null;
    if (this.frames.error) {
      this.svg = null;
      this.canvas.classList.add("gad-no-picture");
      this.canvas.append(make("div", "gad-picture-error", this.frames.error));
      return;
    }
    const holder = make("div", "gad-svg-holder");
    holder.innerHTML = this.frames.text(this.k); // our own SVG (Graphviz escaped the user's names)
    const svg = holder.querySelector("svg");
    this.svg = svg;
    this.viewBox = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    svg.classList.add("gad-svg");
    this.canvas.append(svg);
    if (this.p.view.background) this.canvas.style.background = this.p.view.background;
    const byId = new Map();
    for (const g of svg.querySelectorAll("g[id]")) if (!byId.has(g.id)) byId.set(g.id, g);
    this.dom = this.frames.ids.map((id) => byId.get(id));
    this.shown = Int32Array.from(this.frames.rows[this.k]);
    this.cache = this.frames.ids.map(() => new Map());
    this.parser = document.createElementNS(svg.namespaceURI, "g");
    this.graph0 = svg.querySelector("g.graph") || svg;
    this.zoomer = null;
    this.resize = new ResizeObserver(() => this.onResize());
    this.resize.observe(this.canvas);
  }

  variant(i, v) {
    let node = this.cache[i].get(v);
    if (!node) {
      this.parser.innerHTML = this.frames.variants[i][v];
      node = this.parser.firstElementChild;
      this.parser.replaceChildren();
      this.cache[i].set(v, node);
    }
    return node;
  }

  // Parse the variants the neighbouring steps need while the browser is idle, so next / back only swap.
  prefetch(k) {
    const idle = window.requestIdleCallback || ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 50));
    const todo = [];
    for (const j of [k + 1, k - 1, k + 2]) {
      if (j < 0 || j > this.n) continue;
      const row = this.frames.rows[j];
      for (let i = 0; i < row.length; i++) if (!this.cache[i].has(row[i]) && row[i] !== this.shown[i]) todo.push([i, row[i]]);
    }
    if (!todo.length) return;
    const token = (this.prefetchToken = {});
    const work = (deadline) => {
      while (todo.length && deadline.timeRemaining() > 1) {
        if (token !== this.prefetchToken || !this.cache) return;
        const [i, v] = todo.pop();
        this.variant(i, v);
      }
      if (todo.length && token === this.prefetchToken) idle(work);
    };
    idle(work);
  }

  swap(k) {
    const row = this.frames.rows[k];
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v === this.shown[i]) continue;
      const old = this.dom[i];
      if (!this.cache[i].has(this.shown[i])) this.cache[i].set(this.shown[i], old);
      const node = this.variant(i, v);
      old.replaceWith(node);
      this.dom[i] = node;
      this.shown[i] = v;
    }
  }

  // -- pan and zoom (svg-pan-zoom, vendored) -------------------------------------------------------------------
  onResize() {
    const width = this.canvas.clientWidth;
    if (!width || !this.svg) return;
    if (!this.zoomer) {
      this.initZoomer();
      return;
    }
    if (width !== this.lastWidth) {
      this.lastWidth = width;
      this.zoomer.resize();
      this.center();
    }
  }

  initZoomer() {
    if (typeof svgPanZoom !== "function") return;
    this.lastWidth = this.canvas.clientWidth;
    this.canvas.style.height = `${this.initialHeight()}px`;
    this.zoomer = svgPanZoom(this.svg, {
      panEnabled: true,
      zoomEnabled: true,
      controlIconsEnabled: false,
      dblClickZoomEnabled: true,
      mouseWheelZoomEnabled: false,
      preventMouseEventsDefault: true,
      zoomScaleSensitivity: 0.25,
      minZoom: 0.05,
      maxZoom: 50,
      fit: false,
      center: false,
      onPan: () => this.hideCard(),
    });
    this.initialView();
  }

  realZoom() {
    return this.zoomer.getSizes().realZoom;
  }

  setRealZoom(z) {
    const ratio = this.zoomer.getZoom() / this.realZoom();
    this.zoomer.zoom(z * ratio);
  }

  // max(fit, readable): the whole drawing if its values are readable so, else just readable.
  targetZoom(width, height) {
    const v = this.p.view;
    const [, , w, h] = this.viewBox;
    const fit = Math.min(width / w, height / h, v.natural_zoom);
    return Math.max(fit, (v.min_font_px / v.text_size) * 1.001); // a hair above: the matrix is float32
  }

  maxHeight() {
    const v = this.p.view;
    return Math.max(v.min_height_px, Math.round(window.innerHeight * v.max_height));
  }

  initialHeight() {
    const v = this.p.view;
    const z = this.targetZoom(this.canvas.clientWidth, this.maxHeight());
    const h = Math.ceil(this.viewBox[3] * z) + 16;
    return Math.max(v.min_height_px, Math.min(this.maxHeight(), h));
  }

  initialView() {
    if (!this.zoomer) return;
    this.zoomer.resize();
    this.setRealZoom(this.targetZoom(this.canvas.clientWidth, this.canvas.clientHeight - 16));
    this.center();
  }

  fit() {
    if (!this.zoomer) return;
    this.zoomer.fit();
    this.zoomer.center();
  }

  zoomBy(factor) {
    if (!this.zoomer) return;
    this.zoomer.zoomBy(factor);
    this.center();
  }

  // The node to keep in view at step k: the current one, or at step 0 the one the walk starts with.
  focusElement(k) {
    if (!this.n) return null;
    const step = this.p.steps[Math.max(k, 1) - 1];
    return step ? step.element : null;
  }

  box(element) {
    let b = this.boxes.get(element);
    if (!b) {
      const i = this.frames.ids.indexOf(element);
      const node = i >= 0 ? this.dom[i] : null;
      if (!node) return null;
      const bb = node.getBBox();
      const a = matrixOf(this.graph0).multiply(matrixOf(node)); // the node's box in the drawing's user units
      b = { x: a.a * bb.x + a.e, y: a.d * bb.y + a.f, w: a.a * bb.width, h: a.d * bb.height };
      if (bb.width > 0) this.boxes.set(element, b); // positions never change between frames
    }
    return b;
  }

  // Keep the zoom; pan so the focus node is centred, but never show more empty space than needed.
  center() {
    if (!this.zoomer) return;
    const element = this.focusElement(this.k);
    const b = element && this.box(element);
    const z = this.realZoom();
    const pan = this.zoomer.getPan();
    const [vx, vy, vw, vh] = this.viewBox;
    const W = this.canvas.clientWidth;
    const H = this.canvas.clientHeight;
    const axis = (pos, size, content0, contentSize, view) => {
      const c0 = pos + z * content0;
      const cw = z * contentSize;
      if (cw <= view) return pos + (view - cw) / 2 - c0;
      let want = b ? view / 2 - (pos + z * (size.start + size.length / 2)) : 0;
      want = Math.min(want, -c0); // the left (top) edge of the drawing not inside the view
      want = Math.max(want, view - (c0 + cw)); // nor the right (bottom) edge
      return pos + want;
    };
    const x = axis(pan.x, b && { start: b.x, length: b.w }, vx, vw, W);
    const y = axis(pan.y, b && { start: b.y, length: b.h }, vy, vh, H);
    this.zoomer.pan({ x, y });
  }

  // -- stepping -------------------------------------------------------------------------------------------------
  user(k) {
    this.goto(k, {});
  }

  goto(k, { fromModel = false } = {}) {
    k = Math.max(0, Math.min(this.n, Math.round(Number(k)) || 0));
    if (k === this.k && this.rendered) return;
    this.show(k, { center: true });
    if (!fromModel && Number(this.model.get("step")) !== k) {
      this.model.set("step", k);
      this.model.save_changes();
    }
  }

  show(k, { center }) {
    this.k = k;
    this.swap(k);
    this.rendered = true;
    this.slider.value = String(k);
    this.counter.textContent = fmt(this.s["status.counter"], { k, n: this.n });
    this.root.dataset.step = String(k);
    this.renderText(k);
    for (let i = 0; i < this.items.length; i++) {
      const on = i === k;
      this.items[i].classList.toggle("gad-current", on);
      if (on) this.items[i].setAttribute("aria-current", "step");
      else this.items[i].removeAttribute("aria-current");
    }
    this.scrollList(k);
    const element = this.focusElement(k);
    if (element && this.nodes.has(element)) this.target.value = String(this.nodes.get(element).id);
    if (center) this.center();
    if (this.playing && k >= this.n) this.stop();
    this.prefetch(k);
  }

  renderText(k) {
    const lines = this.p.texts[k] || [];
    const rows = lines.map((line) => {
      const row = make("div", line.startsWith("✗") ? "gad-line gad-error" : "gad-line", line || "\u00a0");
      return row;
    });
    this.text.replaceChildren(...rows);
  }

  scrollList(k) {
    const item = this.items[k];
    const list = this.list;
    if (!item || list.clientHeight === 0) return;
    const top = item.offsetTop - list.offsetTop;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + item.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = top + item.offsetHeight - list.clientHeight;
    }
  }

  runTo() {
    const info = this.p.nodes.find((n) => String(n.id) === this.target.value);
    if (!info) return;
    this.user(info.step);
    this.message.classList.remove("gad-error");
    const step = this.p.steps[this.k - 1];
    this.message.textContent = step
      ? fmt(this.s["status.reached"], { k: this.k, label: step.title, node: step.node })
      : fmt(this.s["status.counter"], { k: this.k, n: this.n });
  }

  nextProblem() {
    for (let k = this.k + 1; k <= this.n; k++) {
      if (this.p.problems[k]) {
        this.user(k);
        this.message.classList.add("gad-error");
        this.message.textContent = fmt(this.s["status.problem"], { k, kind: this.p.problems[k] });
        return;
      }
    }
    this.message.classList.remove("gad-error");
    this.message.textContent = fmt(this.s["status.no_problem"], { k: this.k });
  }

  // -- play ----------------------------------------------------------------------------------------------------
  setSpeed(ms, { fromModel = false } = {}) {
    ms = Math.max(100, Math.min(3000, Math.round(Number(ms)) || 800));
    this.ms = ms;
    this.speed.value = String(ms);
    this.speedLabel.textContent = fmt(this.s["label.speed"], { ms });
    if (this.playing) this.startTimer();
    if (!fromModel && Number(this.model.get("speed")) !== ms) {
      this.model.set("speed", ms);
      this.model.save_changes();
    }
  }

  togglePlay() {
    if (this.playing) this.stop();
    else this.play();
  }

  play() {
    if (this.k >= this.n) this.user(0);
    this.playing = true;
    this.playButton.textContent = this.s["button.pause"];
    this.playButton.classList.add("gad-on");
    this.root.classList.add("gad-is-playing");
    this.startTimer();
  }

  startTimer() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.user(this.k + 1), this.ms);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.playing = null;
    this.playButton.textContent = this.s["button.play"];
    this.playButton.classList.remove("gad-on");
    this.root.classList.remove("gad-is-playing");
  }

  // -- keyboard, pointer ---------------------------------------------------------------------------------------
  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return false;
    const moves = { ArrowRight: this.k + 1, ArrowLeft: this.k - 1, Home: 0, End: this.n };
    if (event.key in moves) {
      this.user(moves[event.key]);
      return true;
    }
    if (event.key === " " || event.key === "Spacebar") {
      this.togglePlay();
      return true;
    }
    return false;
  }

  listen() {
    const root = this.root;
    // One listener, on the window in the capture phase, so that the viewer sees its keys before the page's
    // own shortcuts (JupyterLab's command mode would scroll the notebook). It acts when the viewer has the
    // focus (but not inside its slider or menu), or when the pointer is over it while no text field, code
    // cell or other viewer has the focus.
    const onKey = (event) => {
      if (event.defaultPrevented) return;
      const active = document.activeElement;
      if (root.contains(active)) {
        const t = event.target;
        if (FORM_FIELDS.has(t.tagName) || (t.tagName === "BUTTON" && event.key === " ")) return;
      } else if (!this.hovered || editable(active) || (active && active.closest && active.closest(".gad-viewer"))) {
        return;
      }
      if (this.key(event)) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    const enter = () => {
      this.hovered = true;
    };
    const leave = () => {
      this.hovered = false;
      this.hideCard();
    };
    const wheel = (event) => {
      if (!this.zoomer || !(event.ctrlKey || event.metaKey)) return; // a plain wheel scrolls the page
      event.preventDefault();
      const r = this.svg.getBoundingClientRect();
      const factor = Math.pow(1.0015, -event.deltaY);
      this.zoomer.zoomAtPointBy(factor, { x: event.clientX - r.left, y: event.clientY - r.top });
    };
    const down = () => {
      this.hideCard();
      root.focus({ preventScroll: true });
    };
    const move = (event) => this.hover(event);
    window.addEventListener("keydown", onKey, true);
    root.addEventListener("pointerenter", enter);
    root.addEventListener("pointerleave", leave);
    this.canvas.addEventListener("wheel", wheel, { passive: false });
    this.canvas.addEventListener("pointerdown", down);
    this.canvas.addEventListener("pointermove", move);
    this.canvas.addEventListener("pointerleave", () => this.hideCard());
    this.cleanups.push(() => window.removeEventListener("keydown", onKey, true));
  }

  // -- the hover card ------------------------------------------------------------------------------------------
  hover(event) {
    if (event.buttons) return;
    const g = event.target.closest ? event.target.closest("g.node") : null;
    const info = g && this.nodes.get(g.id);
    if (!info) {
      this.hideCard();
      return;
    }
    if (this.cardFor === info.element && this.cardStep === this.k && !this.card.hidden) return;
    this.fillCard(info);
    this.placeCard(g);
  }

  // Beside the node, not on it: below, above, right or left, the first that fits in the viewer.
  placeCard(g) {
    const r = this.root.getBoundingClientRect();
    const c = this.canvas.getBoundingClientRect();
    const b = g.getBoundingClientRect();
    const n = {
      left: Math.max(b.left, c.left) - r.left,
      right: Math.min(b.right, c.right) - r.left,
      top: Math.max(b.top, c.top) - r.top,
      bottom: Math.min(b.bottom, c.bottom) - r.top,
    };
    this.card.hidden = false;
    const cw = this.card.offsetWidth;
    const ch = this.card.offsetHeight;
    const gap = 8;
    const x = (left) => Math.max(0, Math.min(r.width - cw, left));
    const candidates = [
      [x(n.left), n.bottom + gap],
      [x(n.left), n.top - gap - ch],
      [n.right + gap, Math.max(0, n.top)],
      [n.left - gap - cw, Math.max(0, n.top)],
    ];
    const fits = ([left, top]) => left >= 0 && top >= 0 && left + cw <= r.width && top + ch <= r.height;
    const [left, top] = candidates.find(fits) || candidates[0];
    this.card.style.left = `${left}px`;
    this.card.style.top = `${top}px`;
  }

  hideCard() {
    if (this.card) this.card.hidden = true;
    this.cardFor = null;
  }

  summary(s, since) {
    const t = this.s;
    if (since !== null && since !== undefined && this.k < since) return fmt(t["card.pending"], { k: since });
    if (!s) return t["card.no_grad"];
    let text = s.values !== null ? s.values : fmt(t["card.stats"], { min: s.min, mean: s.mean, max: s.max });
    if (s.values === null && s.min === null) text = t["card.none"];
    if (s.nan || s.inf) text += ` · ${fmt(t["card.nonfinite"], { nan: s.nan, inf: s.inf, size: s.size })}`;
    return text;
  }

  fillCard(info) {
    const t = this.s;
    this.cardFor = info.element;
    this.cardStep = this.k;
    const head = make("div", "gad-card-title");
    head.append(make("span", "gad-card-name", info.title), make("span", "gad-card-id", fmt(t["card.node"], { node: info.id })));
    const rows = make("dl", "gad-card-rows");
    const row = (key, value, className) => {
      const dt = make("dt", "", t[key]);
      const dd = make("dd", className || "", value);
      rows.append(dt, dd);
      return dd;
    };
    const kind = t[`card.kind.${info.kind}`] || info.kind;
    row("card.op", info.op ? `${info.op} · ${kind}` : kind, "gad-card-op");
    const shape = info.shape.length ? `(${info.shape.join(", ")}${info.shape.length === 1 ? "," : ""})` : t["card.scalar"];
    row("card.shape", shape, "gad-card-shape");
    row("card.dtype", info.dtype || t["card.none"], "gad-card-dtype");
    row("card.value", this.summary(info.value, info.value_step), "gad-card-value");
    if (info.grad_step !== null) row("card.grad", this.summary(info.grad, info.grad_step), "gad-card-grad");
    if (info.chain.length) {
      const dd = row("card.chain", "", "gad-card-chain");
      for (const line of info.chain) dd.append(make("div", "gad-card-line", line));
    }
    const parts = [head, rows];
    // The report says this node's own backward is right but the gradient it received is not.
    if (info.inherited_from !== null && info.inherited_from !== undefined && this.k >= info.grad_step) {
      parts.push(make("div", "gad-card-inherited", fmt(t["card.inherited"], { culprit: info.inherited_from })));
    }
    this.card.replaceChildren(...parts);
  }

  teardown() {
    this.prefetchToken = null;
    clearInterval(this.timer);
    this.timer = null;
    this.playing = null;
    if (this.resize) this.resize.disconnect();
    if (this.zoomer) this.zoomer.destroy();
    this.resize = null;
    this.zoomer = null;
    for (const f of this.cleanups.splice(0).reverse()) f();
  }

  destroy() {
    this.teardown();
    this.offModel();
  }
}

function render({ model, el }) {
  const view = new View(model, el);
  return () => {
    view.destroy();
    el.replaceChildren();
  };
}

const viewer = { render };
export default viewer;
