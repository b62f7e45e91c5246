"""Screenshots of dashboard pages in headless Chromium, for looking at what we build.

python scripts/screenshot.py http://127.0.0.1:8050/ out.png [--width 1366 --height 768] [--wait-id kpi-offerings]
"""

from __future__ import annotations

import argparse
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1366)
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--full", action="store_true", help="capture the whole page height")
    ap.add_argument("--scroll", type=int, default=0, help="scroll down this many pixels first")
    ap.add_argument("--settle", type=float, default=4.0, help="seconds to let callbacks finish")
    args = ap.parse_args()
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--window-size={args.width},{args.height}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(args.url)
        time.sleep(args.settle)
        if args.scroll:
            driver.execute_script(f"window.scrollTo(0, {args.scroll})")
            time.sleep(0.5)
        if args.full:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(args.width, height)
            time.sleep(1)
        driver.save_screenshot(args.out)
        for entry in driver.get_log("browser"):
            print("console:", entry)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
