"""The `demo-data` wing: synthetic labelled clips, rendered with numpy and encoded by ffmpeg.

Not part of the product: only the CLI's `demo-data` command, the bench and the tests import it
(an import-linter contract holds that). ``encode`` writes a media file from frames and samples.
"""
