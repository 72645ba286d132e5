package dev.serverlab.nio;

import java.nio.channels.SelectionKey;

/**
 * What a selection key is attached to: a {@link Connection} or the {@link Acceptor}. The loop hands each
 * ready key to its attachment and knows nothing else about it.
 */
interface Ready {

    /** Called on the loop's thread when {@code key} is ready; handles its own failures. */
    void onReady(SelectionKey key);
}
