package dev.serverlab.api.server;

import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Safepoint;

/**
 * How a thread engine runs an application's CPU step: inline on the calling thread, or under a GIL.
 */
@FunctionalInterface
public interface CpuRunner {

    /** Runs the work on the calling thread, with no safepoint. */
    CpuRunner INLINE = work -> work.run(Safepoint.NONE);

    Reply run(Reply.CpuWork work);
}
