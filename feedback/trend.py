"""The trend series: which share each line of the trend follows.

The trend itself is read from the grid (``feedback.grid_figures.trend_cells``): per month
within a month or a quarter, per quarter over longer periods, with the grid's suppression.
"""

from __future__ import annotations

__all__ = ["TABLE", "SERIES"]

TABLE = "trend"
# metric → (report metric, category) it follows month by month
SERIES = {
    "recommend": ("recommend", "yes"),
    "next_by_video": ("next_by_video", "yes"),
    "video_share": ("outcome", "video"),
}
