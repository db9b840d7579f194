"""SQL for chats. Every statement is scoped to the caller's group; chats also to their user."""

from __future__ import annotations

import uuid

from sqlalchemy import Select

from kasal.chats.models import ChatMessage, ChatSession
from kasal.core.repository import GroupScopedRepository


class ChatRepository(GroupScopedRepository[ChatSession]):
    model = ChatSession

    def of_user(self, user_id: uuid.UUID) -> Select[ChatSession]:
        return self.select().where(ChatSession.user_id == user_id)

    async def owned(self, chat_id: uuid.UUID, user_id: uuid.UUID) -> ChatSession | None:
        return await self.first(self.of_user(user_id).where(ChatSession.id == chat_id))


class MessageRepository(GroupScopedRepository[ChatMessage]):
    model = ChatMessage

    def of_chat(self, chat_id: uuid.UUID) -> Select[ChatMessage]:
        return self.select().where(ChatMessage.chat_id == chat_id)

    async def every(self, chat_id: uuid.UUID) -> list[ChatMessage]:
        return await self.all(self.of_chat(chat_id).order_by(ChatMessage.position))
