// The oid4vci console's only script: live updates (Server-Sent Events replace the element
// that names them in data-live with the server's freshly rendered, escaped HTML) and the copy
// button. Everything else works without JavaScript.
"use strict";

function keepOpen(element) {
  const open = new Set();
  element.querySelectorAll("details[open]").forEach((d, i) => open.add(d.dataset.keep || "#" + i));
  return () => element.querySelectorAll("details").forEach((d, i) => {
    if (open.has(d.dataset.keep || "#" + i)) d.open = true;
  });
}

document.querySelectorAll("[data-live]").forEach((element) => {
  const source = new EventSource(element.dataset.live);
  source.addEventListener("update", (event) => {
    const reopen = keepOpen(element);
    element.innerHTML = event.data;
    reopen();
    element.dispatchEvent(new CustomEvent("console:updated", { bubbles: true }));
  });
  source.addEventListener("error", () => {
    // Signed out or the server stopped: stop retrying once the stream is closed for good.
    if (source.readyState === EventSource.CLOSED) element.dataset.liveState = "closed";
  });
  element.dataset.liveState = "open";
});

document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const target = document.getElementById(button.dataset.copy);
    const status = document.getElementById("copy-status");
    try {
      await navigator.clipboard.writeText(target.value || target.textContent);
      if (status) status.textContent = "Copied.";
    } catch (e) {
      target.select();
      if (status) status.textContent = "Select and copy it (the browser refused the clipboard).";
    }
  });
});
