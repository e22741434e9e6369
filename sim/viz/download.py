"""A download whose file name and content are both made when it is asked for.

Solara's ``FileDownload`` takes its file name when it is drawn. The page's names carry
the run's day (``..._seed1_day12.csv``), so the export card was drawn again after every
step, three names were sent to the browser, and each button's download thread was
started again: work a click for a file nobody had asked for. Here nothing follows the
day: the name is made with the content, at the click, and both reach the browser in one
message (Solara's own download widget then saves them).
"""

from __future__ import annotations

from collections.abc import Callable

import solara
from solara.components.file_download import FileDownloadWidget


@solara.component
def DownloadOnClick(make: Callable[[], tuple[str, bytes]], mime_type: str,
                    children: list[solara.Element]) -> None:
    """``children`` (a button) download what ``make`` returns, ``(file name, bytes)``,
    made when clicked (in a thread: a picture takes a moment to draw)."""
    requested, set_requested = solara.use_state(False)

    def made() -> tuple[str, bytes] | None:
        return make() if requested else None

    result = solara.use_thread(made, dependencies=[requested])
    done = result.value if result.state == solara.ResultState.FINISHED else None
    FileDownloadWidget.element(
        filename=done[0] if done else "", bytes=done[1] if done else None,
        request_download=requested, on_request_download=set_requested,
        children=children, mime_type=mime_type)
    if result.state == solara.ResultState.ERROR and result.error:
        raise result.error
