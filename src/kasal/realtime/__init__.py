"""Fan-out of live messages to subscribers (WebSocket, SSE, long-poll) in this process."""
