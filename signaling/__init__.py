"""The socket.io edge: waiting room, admission and relaying of WebRTC signalling."""

from signaling.server import SignalingServer

__all__ = ["SignalingServer"]
