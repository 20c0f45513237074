"""(being written)"""

from .consumers import JsonFramesConsumer


class RoomConsumer(JsonFramesConsumer):
    async def connect(self):
        await self.close(code=4404)
