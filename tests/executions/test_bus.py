"""The bus never blocks a publisher: a subscriber that cannot keep up is cut off alone."""

from kasal.realtime.bus import EventBus


async def test_a_full_subscriber_is_cut_off_and_others_still_receive() -> None:
    bus = EventBus(subscriber_queue=2)
    slow, fast = bus.subscribe("c"), bus.subscribe("c")
    for n in range(3):
        bus.publish("c", {"n": n})
        assert (await fast.get()) == {"n": n}
    assert slow.overflowed
    assert not fast.overflowed
    bus.publish("c", {"n": 3})
    assert (await fast.get()) == {"n": 3}
    assert slow.queue.qsize() == 2  # nothing more was put in after it overflowed


async def test_unsubscribing_stops_delivery() -> None:
    bus = EventBus()
    subscription = bus.subscribe("a", "b")
    subscription.remove("a")
    bus.publish("a", {"x": 1})
    bus.publish("b", {"x": 2})
    assert (await subscription.get()) == {"x": 2}
    subscription.close()
    bus.publish("b", {"x": 3})
    assert subscription.queue.empty()
