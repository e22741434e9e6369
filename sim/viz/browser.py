"""What the browser says about its user: its preferred languages (navigator.languages).

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
