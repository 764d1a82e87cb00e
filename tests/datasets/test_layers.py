"""The datasets are the lowest layer: they read text files through classicx.utils, never classicx.text."""

import subprocess
import sys


def test_importing_the_datasets_loads_neither_the_text_features_nor_opencv():
    code = (
        "import sys, classicx.datasets\n"
        "bad = [m for m in sys.modules if m.startswith(('classicx.text', 'classicx.image', 'cv2'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
