"""Video analytics on the CPU: frame sources, a motion gate, people/object detectors (ONNX, HOG), a tracker, the
ground plane of each camera, and one file per analytic (only the event types of DESIGN.md §5, no face, no
identity). Pure algorithms: domain types + numpy + OpenCV + ONNX Runtime; the video worker wires them to the bus."""
