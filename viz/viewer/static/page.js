// The exported page's adapter: the widget's model interface (get / set / on / off / save_changes) over the
// JSON payload embedded in the page, so that viewer.js runs unchanged. Appended after viewer.js (which
// defines `viewer`) in the page's one module script by viz/viewer/page.py.
{
  const source = document.getElementById("gad-payload");
  const payload = JSON.parse(source.textContent);
  const state = { payload, step: payload.start, speed: 800 };
  const listeners = new Map();
  const model = {
    get: (name) => state[name],
    set(name, value) {
      if (state[name] === value) return;
      state[name] = value;
      for (const callback of listeners.get(`change:${name}`) || []) callback();
    },
    save_changes() {
      document.body.dataset.step = String(state.step);
    },
    on(event, callback) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(callback);
    },
    off(event, callback) {
      if (listeners.has(event)) listeners.get(event).delete(callback);
    },
    send() {},
  };
  const el = document.getElementById("gad-viewer");
  viewer.render({ model, el });
  model.save_changes();
  window.gadViewerModel = model; // for scripts and tests: gadViewerModel.set("step", 3) moves the view
}
