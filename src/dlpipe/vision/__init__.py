"""Face extraction with OpenCV Haar cascades: read any photo robustly, find faces, cut crops.

Torch-free on purpose: the extraction stage and the predict command run it in worker
processes, where importing torch would cost more than the detection itself.
"""
