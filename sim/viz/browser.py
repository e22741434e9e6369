"""What the browser says and does: its languages, keyboard shortcuts, the address bar.

Solara gives the page the WebSocket's request headers (``solara.lab.headers``); most
browsers send their Accept-Language there, but not every one does (headless Chromium
driven by a test sends its default). The browser's own ``navigator.languages`` is the
same preference list, so a hidden widget reads it once when the page mounts.
"""

from __future__ import annotations

import ipyvue
import traitlets


class BrowserLanguages(ipyvue.VueTemplate):
    """A hidden element that reports ``navigator.languages`` as a comma-separated list
    ("unknown" when the browser gives none, so the page never waits for it in vain)."""

    template = traitlets.Unicode("""
<template><span class="govsim-browser-languages" style="display: none"></span></template>
<script>
module.exports = {
    mounted() {
        var langs = navigator.languages;
        if (!langs || !langs.length) {
            langs = [navigator.language || ""];
        }
        this.languages = langs.join(",") || "unknown";
    }
}
</script>
""").tag(sync=True)
    languages = traitlets.Unicode("").tag(sync=True)


class KeyShortcuts(ipyvue.VueTemplate):
    """Keyboard shortcuts for the room: → or N steps, Space plays / pauses, P switches
    presentation mode, Esc leaves it. Reported as ``pressed`` = ``"name:count"`` (the
    count makes a repeated key a new value). Keys typed into a field, or on a focused
    slider, are left alone."""

    template = traitlets.Unicode("""
<template><span class="govsim-keys" style="display: none"></span></template>
<script>
module.exports = {
    mounted() {
        this.count = 0;
        this.handler = (e) => {
            const el = e.target || {};
            const tag = (el.tagName || "").toLowerCase();
            if (tag === "input" || tag === "textarea" || tag === "select" ||
                el.isContentEditable || (el.getAttribute && el.getAttribute("role") === "slider")) {
                return;
            }
            if (e.ctrlKey || e.metaKey || e.altKey) {
                return;
            }
            let name = null;
            if (e.key === "ArrowRight" || e.key === "n" || e.key === "N") { name = "step"; }
            else if (e.key === " " || e.key === "Spacebar") { name = "play"; }
            else if (e.key === "p" || e.key === "P") { name = "present"; }
            else if (e.key === "Escape") { name = "leave"; }
            if (!name) {
                return;
            }
            e.preventDefault();
            this.count += 1;
            this.pressed = name + ":" + this.count;
        };
        window.addEventListener("keydown", this.handler);
    },
    destroyed() {
        window.removeEventListener("keydown", this.handler);
    }
}
</script>
""").tag(sync=True)
    pressed = traitlets.Unicode("").tag(sync=True)


class AddressBar(ipyvue.VueTemplate):
    """Keeps the browser's address in step with the page (``history.replaceState``: no
    reload, no new history entry), so a reload or a copied link reopens the same view."""

    template = traitlets.Unicode("""
<template><span class="govsim-address" style="display: none" :data-query="query"></span></template>
<script>
module.exports = {
    mounted() { this.apply(); },
    watch: { query() { this.apply(); } },
    methods: {
        apply() {
            if (!this.query) { return; }
            const url = window.location.pathname + "?" + this.query + window.location.hash;
            const now = window.location.pathname + window.location.search + window.location.hash;
            if (url !== now) { window.history.replaceState(window.history.state, "", url); }
        }
    }
}
</script>
""").tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)


class PictureBox(ipyvue.VueTemplate):
    """Reports the room its parent has for pictures, as ``"width,height"`` in CSS pixels:
    the parent's width and the window's height below the parent's top (rounded to 10 px,
    so a scroll bar or a pixel of rounding does not redraw). The projector draws its
    pictures at exactly that size (:mod:`sim.viz.projector`), so their text is as large
    on the screen as it was drawn.

    It also gives the parent that height at once, in the browser: when the text above
    grows a line (a seed's interval landing), the pictures shrink to fit within the same
    frame and are redrawn at the new size when the server has it, instead of reaching
    past the bottom of the screen until then."""

    template = traitlets.Unicode("""
<template><span class="govsim-picture-box" style="display: none" :data-box="box"></span></template>
<script>
module.exports = {
    mounted() {
        const parent = this.$el.parentElement;
        this.measure = () => {
            const r = parent.getBoundingClientRect();
            const room = Math.max(window.innerHeight - r.top - 6, 0);
            const height = Math.floor(room) + "px";
            if (parent.style.height !== height) { parent.style.height = height; }
            const w = Math.floor(parent.clientWidth / 10) * 10;
            const h = Math.floor(room / 10) * 10;
            const box = w + "," + h;
            if (w > 0 && box !== this.box) { this.box = box; }
            // what sits above moves the pictures' top: watch it grow or shrink
            for (let el = parent.previousElementSibling; el; el = el.previousElementSibling) {
                this.observer.observe(el);
            }
        };
        this.observer = new ResizeObserver(() => this.measure());
        this.observer.observe(parent);
        window.addEventListener("resize", this.measure);
        // an element above may be replaced by a redraw: look again now and then
        this.timer = setInterval(this.measure, 1000);
        this.measure();
    },
    destroyed() {
        if (this.observer) { this.observer.disconnect(); }
        clearInterval(this.timer);
        window.removeEventListener("resize", this.measure);
    }
}
</script>
""").tag(sync=True)
    box = traitlets.Unicode("").tag(sync=True)
