"""Regenerate assets/ (needs Pillow; run once by hand: python tests/sample_site/make_assets.py)."""
from PIL import Image, ImageDraw
import random
import os
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets") + os.sep
palettes = [((70, 80, 60), (160, 170, 140)), ((30, 50, 90), (150, 180, 210)),
            ((90, 60, 40), (200, 170, 130)), ((50, 50, 55), (180, 180, 190))]
for k, (a, b) in enumerate(palettes):
    rnd = random.Random(k)
    for (w, h, name) in [(640, 360, f"photo{k}.jpg"), (300, 169, f"thumb{k}.jpg")]:
        im = Image.new("RGB", (w, h))
        d = ImageDraw.Draw(im)
        for y in range(h):
            t = y / h
            d.line([(0, y), (w, y)], fill=tuple(int(a[i] * (1 - t) + b[i] * t) for i in range(3)))
        for _ in range(4):
            x0, y0 = rnd.randrange(w), rnd.randrange(h // 2, h)
            d.polygon([(x0, y0), (x0 + w // 5, y0 - h // 6), (x0 + w // 3, y0)], fill=a)
        im.save(out + name, "JPEG", quality=45, optimize=True)
logo = Image.new("RGB", (240, 48), (20, 30, 45))
d = ImageDraw.Draw(logo)
d.rectangle([8, 8, 40, 40], fill=(200, 60, 40))
d.text((52, 16), "THE FORWARD LINE", fill=(240, 240, 240))
logo.save(out + "logo.png", optimize=True)
bg = Image.new("RGB", (8, 8), (245, 244, 240))
ImageDraw.Draw(bg).point([(0, 0), (4, 4)], fill=(225, 222, 215))
bg.save(out + "bg.png", optimize=True)
av = Image.new("RGB", (48, 48), (200, 200, 205))
d = ImageDraw.Draw(av)
d.ellipse([14, 6, 34, 26], fill=(150, 150, 160)); d.ellipse([6, 28, 42, 60], fill=(150, 150, 160))
av.save(out + "avatar.png", optimize=True)
