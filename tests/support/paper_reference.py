"""A literal per-pixel transcription of the paper's combine_images.py mixing loop (Prakash
et al., github.com/iamaaditya/image-compression-cnn).

Kept as the reference the vectorised code is tested against and timed against
(benchmarks/speed.py); do not use it to encode. Python 3 integer semantics replace Python
2's; the one change is model 3 at the map's maximum (no percentile above it), where the
original kept the previous pixel's level and this takes level 10 (clipped to 9).
"""

import numpy as np


def literal_mix(ladder: np.ndarray, sal_arr: np.ndarray, model: int) -> np.ndarray:
    img_qualities = list(ladder)
    quality_steps = [i * 10 for i in range(1, 11)]
    k = img_qualities[-1].copy()
    shape = k.shape
    mx, mn = np.max(sal_arr), np.mean(sal_arr)
    q_2, q_3, q_5, q_6, q_9 = map(lambda x: np.percentile(sal_arr, x), [20, 30, 50, 60, 90])
    q_a = [np.percentile(sal_arr, j) for j in quality_steps]
    low, high = 1, 9
    for i in range(shape[0]):
        for j in range(shape[1]):
            for l in range(shape[2]):
                ss = int(sal_arr[i, j])
                if model == 1:
                    qq = 9 if ss > mn else 6
                elif model == 2:
                    qq = (ss * 10 // int(mx)) - 1 + 3
                elif model == 3:
                    qq = 10
                    for index, q_i in enumerate(q_a):
                        if ss < q_i:
                            qq = index + 1
                            break
                elif model == 4:
                    if ss < q_2: qq = 4
                    elif ss < q_6: qq = 6
                    elif ss < q_9: qq = 8
                    else: qq = 9
                elif model == 5:
                    qq = 2 if ss < q_5 else 8
                elif model == 6:
                    qq = 7 if ss < q_5 else 9
                if qq < low: qq = low
                if qq > high: qq = high
                k[i, j, l] = img_qualities[qq][i, j, l]
    return k
