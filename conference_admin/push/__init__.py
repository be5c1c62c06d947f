"""Pushing roster changes to open pages over Server-Sent Events.

`notifier` owns "conference CF is at version V" (published by the roster store after every
write that moves a version; Redis pub/sub on the production profile, in-process otherwise),
`hub` turns those notifications into wake-ups for the streams of one process, and `views`
serves one event stream per open conference page (an async view, served by the ASGI server).
"""
