"""viz.stepper.slides: one file per step; 16:9 slides with the step's text under the picture; GIF, MP4 and PDF."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import imageio.v2 as imageio
import imageio.v3 as iio
import numpy as np
import pytest
from pypdf import PdfReader

import viz
from tests.viz.conftest import lecture5
from tests.viz.stepper.graphs import mlp_loss
from viz.readable import value_font_px
from viz.stepper.slides import (
    SLIDE_SIZE,
    arrangement,
    frame_names,
    picture_box,
    rasterize,
    save_frames,
    slide_svg,
    write_gif,
    write_pdf,
)

SVG = "{http://www.w3.org/2000/svg}"
FRAME = '<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt" viewBox="0 0 200 100"><g/></svg>'


def texts(svg: str) -> list[str]:
    """The slide's own text lines (not those of the picture)."""
    return [t.text or "" for t in ET.fromstring(svg).findall(f"{SVG}text")]


def test_a_slide_puts_the_picture_above_the_text():
    slide = slide_svg(FRAME, ["Step 1 of 4 · <b>", "✗ backward raised", "x " * 200])
    root = ET.fromstring(slide)
    assert root.get("viewBox") == "0 0 1920 1080" and SLIDE_SIZE == (1920, 1080)
    nested = root.find(f"{SVG}svg")
    _, y, width, height = picture_box()
    assert (nested.get("width"), nested.get("height"), nested.get("preserveAspectRatio")) == (
        f"{width:g}",
        f"{height:g}",
        "xMidYMid meet",
    )
    assert nested.get("viewBox") == "0 0 200 100"  # the frame's own coordinates, fitted into the box
    lines = root.findall(f"{SVG}text")
    assert lines[0].text == "Step 1 of 4 · <b>" and lines[0].get("font-weight") == "bold"  # escaped, then parsed back
    assert lines[1].get("fill") == "#c62828"  # an error line in red
    assert len(lines) > 3 and all(len(t.text) <= 110 for t in lines)  # the long line is wrapped
    assert all(float(t.get("y")) > y + height for t in lines)  # under the picture
    assert picture_box(False)[3] > height  # without text the picture takes the whole slide
    with pytest.raises(ValueError, match="<svg>"):
        slide_svg("<p>no picture</p>", ["x"])


def test_a_tall_picture_gets_its_text_beside_it():
    tall = FRAME.replace(
        'width="200pt" height="100pt" viewBox="0 0 200 100"', 'width="100pt" height="200pt" viewBox="0 0 100 200"'
    )
    assert arrangement((100, 200))[0] and not arrangement((200, 100))[0]
    root = ET.fromstring(slide_svg(tall, ["Step 1 of 4", "∂L/∂s = 1"]))
    nested = root.find(f"{SVG}svg")
    x, y, _, height = picture_box(beside=True)
    assert (float(nested.get("x")), float(nested.get("y")), float(nested.get("height"))) == (x, y, height)
    right = float(nested.get("x")) + float(nested.get("width"))
    assert float(nested.get("width")) == pytest.approx(height / 2)  # as wide as the picture is drawn
    lines = root.findall(f"{SVG}text")
    assert all(float(t.get("x")) > right for t in lines) and float(lines[0].get("y")) < 200  # right of it, at the top
    under = ET.fromstring(slide_svg(tall, ["x"], beside=False)).find(f"{SVG}svg")
    assert float(under.get("height")) == picture_box()[3]  # asked for: under it


def test_rasterize_gives_rgb_of_the_asked_width():
    image = rasterize(slide_svg(FRAME, ["hello"]), 320)
    assert image.shape == (180, 320, 3) and image.dtype == np.uint8
    assert (image[0, 0] == 255).all()  # the lecture theme's white page


@pytest.mark.dot
def test_slides_of_the_lecture_are_laid_out_for_the_slide_and_readable():
    stepper = viz.StepperModel(lecture5())
    slide = stepper.slide(2)
    assert texts(slide)[0] == "Step 2 of 4 · backward pass · node 5: Squared (s)"
    assert "  ∂L/∂μ = 2(μ − y) ⊙ ∂L/∂s" in texts(slide)
    _, _, width, height = picture_box()

    def on_slide(view_box: str) -> float:  # value text (14 units in the drawing) fitted into the picture box
        _, _, view_width, view_height = (float(v) for v in view_box.split())
        return 14 * min(width / view_width, height / view_height)

    slide_view = ET.fromstring(slide).find(f"{SVG}svg").get("viewBox")
    size = tuple(float(v) for v in slide_view.split()[2:])
    assert 14 * arrangement(size)[1] >= 18  # value text on a 1920-unit slide, text beside or under the picture
    other = viz.StepperModel(lecture5(), rankdir="LR" if float(slide_view.split()[2]) < 1500 else "TB")
    other_view = ET.fromstring(other.svg(2)).get("viewBox")
    assert on_slide(slide_view) > on_slide(other_view) and on_slide(slide_view) >= 12  # px on a 1920-px slide
    assert on_slide(other_view) == pytest.approx(value_font_px(other.svg(2), width, height, enlarge=True))
    assert stepper.slide() == stepper.slide(0) and stepper.step_index == 0


@pytest.mark.dot
def test_the_walk_as_gif_mp4_and_pdf(tmp_path):
    stepper = viz.StepperModel(lecture5())
    n = stepper.n_steps + 1
    gif = stepper.save_gif(tmp_path / "walk.gif", width=480, seconds=0.5)
    frames = iio.imread(gif, index=None)
    assert frames.shape == (n, 270, 480, 3)
    assert [iio.immeta(gif, index=k)["duration"] for k in range(n)] == [500] * (n - 1) + [1000]
    assert not np.array_equal(frames[1], frames[2])  # every step differs
    assert stepper.save_gif(tmp_path / "again.gif", width=480, seconds=0.5).read_bytes() == gif.read_bytes()

    mp4 = stepper.save_mp4(tmp_path / "walk.mp4", width=640, seconds=0.5)
    reader = imageio.get_reader(mp4, format="FFMPEG")
    try:
        assert reader.count_frames() == n
        assert reader.get_meta_data()["size"] == (640, 360)
    finally:
        reader.close()

    pdf = stepper.save_pdf(tmp_path / "walk.pdf")
    pages = PdfReader(pdf).pages
    assert len(pages) == n
    box = pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9)
    assert "Step 3 of 4" in pages[3].extract_text() and "∂L/∂z" in pages[4].extract_text()
    assert stepper.save_pdf(tmp_path / "again.pdf").read_bytes() == pdf.read_bytes()  # deterministic


@pytest.mark.dot
def test_russian_mlp_slides_and_bad_arguments(tmp_path):
    stepper = viz.StepperModel(mlp_loss(), lang="ru")
    assert texts(stepper.slide(1))[0].startswith("Шаг 1 из 4")
    with pytest.raises(ValueError, match="width"):
        stepper.save_gif(tmp_path / "x.gif", width=3)
    with pytest.raises(ValueError, match="seconds"):
        stepper.save_mp4(tmp_path / "x.mp4", seconds=0)
    with pytest.raises(ValueError, match="at least one slide"):
        write_gif([], tmp_path / "x.gif")
    with pytest.raises(ValueError, match="at least one slide"):
        write_pdf([], tmp_path / "x.pdf")


# -- one file per step ---------------------------------------------------------------------------------------
@pytest.mark.dot
def test_save_frames_writes_one_file_per_step(tmp_path):
    stepper = viz.Stepper(lecture5())
    paths = stepper.save_frames(tmp_path / "svg")
    assert [p.name for p in paths] == [f"step_{k:03d}.svg" for k in range(stepper.n_steps + 1)]
    for k, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<?xml") and text.endswith(stepper.svg(k))
        ET.fromstring(text.encode("utf-8"))
    pdfs = stepper.save_frames(tmp_path / "pdf", "pdf")
    assert len(pdfs) == 5 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    pngs = stepper.save_frames(tmp_path / "png", "png", dpi=50)
    assert len(pngs) == 5 and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert len({p.read_bytes() for p in pngs}) == 5  # every step looks different


def test_save_frames_checks_its_arguments(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(ValueError, match="fmt must be one of 'svg', 'pdf', 'png'"):
        save_frames([svg], tmp_path, "gif")
    with pytest.raises(ValueError, match="dpi applies to PNG only"):
        save_frames([svg], tmp_path, "svg", dpi=100)
    with pytest.raises(ValueError, match=r"pass stepper\.frames"):
        save_frames([svg], tmp_path, "pdf")
    assert [p.name for p in save_frames([svg, svg], tmp_path)] == ["step_000.svg", "step_001.svg"]


def test_frame_names_keep_their_order():
    assert frame_names(2, "svg") == ["step_000.svg", "step_001.svg"]
    names = frame_names(1001, "png")
    assert names[0] == "step_0000.png" and names[-1] == "step_1000.png" and sorted(names) == names


@pytest.mark.dot
def test_the_readme_pictures_show_the_default_names(tmp_path):
    from viz.demo import write_readme_pictures

    picture, walk = write_readme_pictures(tmp_path)
    assert iio.imread(picture).shape[:2] == (1080, 1920)  # the slide preset
    frames = iio.imread(walk, index=None)
    assert frames.shape == (5, 720, 1280, 3)
    assert [iio.immeta(walk, index=k)["duration"] for k in range(5)] == [2000] * 4 + [4000]
