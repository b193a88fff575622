"""The decoder side: what the post-filter (and a non-learned baseline) adds to a standard
JPEG, the CLIC tracks with and without it, and decoding speed.

    python benchmarks/decoding.py --live1 ../shared/data/live1 --kodak ../shared/data/kodak

1. LIVE1 (29 images), JPEG (Pillow/libjpeg-turbo, 4:2:0) at Q10 and Q20: PSNR of the plain
   decode and of each decoder, on luma (Y of BT.601 YCbCr, as the artefact-removal papers
   report) and on RGB.
2. Kodak low-rate track (0.15 bpp for the set): the files the harness packs for the plain
   decode, decoded plainly and with the post-filter (the same bytes), and the files it packs
   when it allocates by the post-filtered error.
3. Transparent track (PSNR >= 40 dB, MS-SSIM >= 0.993): total bytes of msroi (rdq, plain
   and post-filtered) against mozjpeg (plain decode), 4:2:0 and 4:4:4.
4. Decode seconds per megapixel (Kodak, and a 2K image) and the peak memory of
   ``msroi decode --decoder postfilter`` on the 2K image.

Writes benchmarks/results/decoding/*.csv and prints the tables.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import run_folder  # benchmarks/run_folder.py (the scripts run from this folder)

ROOT = Path(__file__).resolve().parents[1]


def luma_psnr(reference: np.ndarray, test: np.ndarray) -> float:
    from msroi.metrics import luma, peak_signal_noise_ratio

    return peak_signal_noise_ratio(luma(reference), luma(test))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live1", required=True)
    parser.add_argument("--kodak", required=True)
    parser.add_argument("--decoders", nargs="+", default=["postfilter", "laplacian"])
    parser.add_argument("--parts", nargs="+", choices=("live1", "lowrate", "transparent", "speed"),
                        default=["live1", "lowrate", "transparent", "speed"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "decoding")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    run_folder.claim(parser, args.out)  # a user's folder is refused before any work

    from msroi.decoders.base import get_decoder

    decoders = {name: get_decoder(name) for name in args.decoders}

    if "live1" in args.parts:
        live1_table(args, decoders)
    if "lowrate" in args.parts or "transparent" in args.parts:
        kodak_tracks(args, decoders)
    if "speed" in args.parts:
        decode_speed(args, decoders)
    return 0


def live1_table(args, decoders) -> None:
    import pandas as pd

    from msroi import io
    from msroi.jpeg.standard import decode, encode_pillow
    from msroi.metrics import peak_signal_noise_ratio

    rows = []
    for path in io.find_images(args.live1):
        image = io.read_image(path)
        for quality in (10, 20):
            data = encode_pillow(image, quality)
            plain = decode(data)
            row = {"image": path.name, "quality": quality, "plain_luma": luma_psnr(image, plain),
                   "plain_rgb": peak_signal_noise_ratio(image, plain)}
            for name, decoder in decoders.items():
                start = time.perf_counter()
                out = decoder.decode(data)
                row[f"{name}_seconds"] = time.perf_counter() - start
                row[f"{name}_luma"] = luma_psnr(image, out)
                row[f"{name}_rgb"] = peak_signal_noise_ratio(image, out)
            rows.append(row)
    live1 = pd.DataFrame(rows)
    live1.to_csv(args.out / "live1.csv", index=False)
    table = live1.groupby("quality").mean(numeric_only=True)
    for name in decoders:
        table[f"{name}_gain_luma"] = table[f"{name}_luma"] - table["plain_luma"]
        table[f"{name}_gain_rgb"] = table[f"{name}_rgb"] - table["plain_rgb"]
    print("LIVE1, JPEG (libjpeg-turbo 4:2:0) at Q10 / Q20, mean PSNR in dB")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    table.to_csv(args.out / "live1_summary.csv")


def kodak_tracks(args, decoders) -> None:
    import pandas as pd

    from msroi import io
    from msroi.batch import CompressSettings
    from msroi.evaluation import clic
    from msroi.parallel import make_executor

    files = io.find_images(args.kodak)
    images = [io.load_image(f) for f in files]
    originals = [i.pixels for i in images]
    executor = make_executor(args.jobs)
    results = []
    try:
        runs = [("rdq, allocated for the plain decode", CompressSettings(decoder="standard", keep_metadata=False), "lowrate"),
                ("rdq, allocated for the post-filter", CompressSettings(decoder="postfilter", keep_metadata=False), "lowrate")]
        for sampling in ("4:2:0", "4:4:4", None):  # None: both in every image's ladder
            options = {"subsampling": sampling} if sampling else {}
            label = sampling or "4:2:0 or 4:4:4 per image"
            runs += [(f"mozjpeg {label}, plain decode", CompressSettings(
                         method="mozjpeg", decoder="standard", keep_metadata=False,
                         codec_options=options), "transparent"),
                     (f"rdq {label}, plain decode", CompressSettings(
                         decoder="standard", keep_metadata=False, codec_options=options), "transparent")]
            if sampling != "4:4:4":
                runs.append((f"rdq {label} + post-filter", CompressSettings(
                    decoder="postfilter", keep_metadata=False, codec_options=options), "transparent"))
        for label, settings, track in runs:
            if track not in args.parts:
                continue
            submission = clic.pack(images, track, settings, executor=executor, progress=False)
            numbers = {k: submission.summary[k] for k in ("total_bytes", "limit_bytes", "bpp", "psnr", "ms_ssim")}
            results.append({"track": track, "setting": label, "decoder": settings.decoder, **numbers})
            if label == "rdq, allocated for the plain decode":  # the same bytes, post-filtered
                decoded = [decoders["postfilter"].decode(f) for f in submission.files]
                numbers = clic.set_numbers(originals, decoded, [len(f) for f in submission.files])
                numbers.pop("ms_ssim_per_image")
                results.append({"track": track, "setting": "the same files, post-filtered",
                                "decoder": "postfilter", "limit_bytes": submission.summary["limit_bytes"],
                                **{k: numbers[k] for k in ("total_bytes", "bpp", "psnr", "ms_ssim")}})
    finally:
        executor.close()
    tracks = pd.DataFrame(results)
    tracks.to_csv(args.out / f"kodak_tracks_{'_'.join(p for p in args.parts if p in ('lowrate', 'transparent'))}.csv",
                  index=False)
    print("\nKodak (24 images), CLIC aggregates")
    print(tracks.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def decode_speed(args, decoders) -> None:
    import pandas as pd
    from PIL import Image

    from msroi import io
    from msroi.jpeg.standard import encode_pillow

    originals = [io.read_image(io.find_images(args.kodak)[0])]
    with tempfile.TemporaryDirectory() as tmp:
        big = np.asarray(Image.fromarray(originals[0]).resize((2048, 1365)))
        path = Path(tmp) / "big.jpg"
        path.write_bytes(encode_pillow(big, 20))
        speed = []
        for name, decoder in decoders.items():
            for label, data, pixels in (("kodak", encode_pillow(originals[0], 20), originals[0].size // 3),
                                        ("2K (2048x1365)", path.read_bytes(), big.size // 3)):
                decoder.decode(data)
                runs = []
                for _ in range(3):
                    start = time.perf_counter()
                    decoder.decode(data)
                    runs.append(time.perf_counter() - start)
                speed.append({"decoder": name, "image": label, "seconds": float(np.median(runs)),
                              "seconds_per_megapixel": float(np.median(runs)) / (pixels / 1e6)})
        msroi = str(Path(sys.executable).parent / "msroi")
        timed = subprocess.run(["/usr/bin/time", "-f", "%e %M", msroi, "decode", str(path), "-o",
                                str(Path(tmp) / "big.png"), "--decoder", "postfilter", "-q"],
                               capture_output=True, text=True, check=True)
        wall, kilobytes = timed.stderr.strip().splitlines()[-1].split()
        speed.append({"decoder": "postfilter (whole command)", "image": "2K (2048x1365)",
                      "seconds": float(wall), "peak_rss_mb": float(kilobytes) / 1024})
    speed = pd.DataFrame(speed)
    speed.to_csv(args.out / "speed.csv", index=False)
    print("\nDecoding speed (2 CPU cores, medians of 3)")
    print(speed.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    sys.exit(main())
