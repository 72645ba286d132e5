package dev.serverlab.lab.load;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** One connection's state. Fields, not objects: nothing is allocated per request. */
final class LoadConnection {
    final int index;
    final ByteBuffer request;
    final ResponseFraming framing = new ResponseFraming(0);
    SocketChannel channel;
    SelectionKey key;
    boolean connecting;
    long connectStartedAt;
    boolean inFlight;
    long sentAt;
    long intendedAt;
    long readyAt;
    /** Open loop: how many requests this connection has been scheduled so far. */
    long scheduled;
    /** When this connection should next act (send or reconnect), while it waits in the schedule. */
    long dueAt;
    boolean due;

    LoadConnection(int index, ByteBuffer request) {
        this.index = index;
        this.request = request;
    }
}
