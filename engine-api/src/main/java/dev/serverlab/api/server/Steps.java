package dev.serverlab.api.server;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Response;

/**
 * Runs an application's steps to the end on the calling thread: the thread engines' way. CPU steps run
 * through the engine's {@link CpuRunner}; a wait is a plain {@link Thread#sleep}, which blocks a platform
 * thread and parks a virtual one.
 */
public final class Steps {

    private Steps() {
    }

    /**
     * Handles the exchange's request and returns the response. An application that throws gets a 500,
     * with nothing of the exception sent to the client.
     */
    public static Response runBlocking(Application application, Exchange exchange, CpuRunner cpu) throws InterruptedException {
        Reply reply;
        try {
            reply = application.handle(exchange.request());
            while (true) {
                switch (reply) {
                    case Reply.Done done -> {
                        exchange.markStarted();
                        return done.response();
                    }
                    case Reply.Compute compute -> {
                        exchange.markStarted();
                        reply = cpu.run(compute.work());
                    }
                    case Reply.Sleep sleep -> {
                        exchange.markStarted();
                        Thread.sleep(sleep.duration());
                        reply = sleep.then().get();
                    }
                }
            }
        } catch (InterruptedException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError vme) throw vme;
            return ApplicationErrors.handle(exchange.request(), e);
        }
    }
}
