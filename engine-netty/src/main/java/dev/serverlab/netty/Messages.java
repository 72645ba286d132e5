package dev.serverlab.netty;

import dev.serverlab.api.app.Header;
import dev.serverlab.api.app.Headers;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import dev.serverlab.api.http.HttpDate;
import dev.serverlab.api.http.ResponseWriter;
import dev.serverlab.api.http.Status;
import dev.serverlab.api.http.Timing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Converts between Netty's messages and the application's: a {@link FullHttpRequest} to a {@link Request},
 * and a {@link Response} with its {@link Timing} to a {@link FullHttpResponse} whose status line and
 * headers match {@link ResponseWriter}'s, field for field, on every engine.
 */
final class Messages {

    // Spelled as the shared writer spells them (Netty's constants are lower case).
    private static final AsciiString SERVER = AsciiString.cached("Server");
    private static final AsciiString DATE = AsciiString.cached("Date");
    private static final AsciiString CONTENT_TYPE = AsciiString.cached("Content-Type");
    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
    private static final AsciiString CONNECTION = AsciiString.cached("Connection");
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
    private static final AsciiString CLOSE = AsciiString.cached("close");

    private Messages() {
    }

    static Request request(FullHttpRequest msg) {
        List<Header> fields = new ArrayList<>(msg.headers().size());
        for (Map.Entry<String, String> e : msg.headers()) {
            fields.add(new Header(e.getKey(), e.getValue()));
        }
        ByteBuf content = msg.content();
        byte[] body = content.isReadable() ? ByteBufUtil.getBytes(content) : Request.NO_BODY;
        String target = msg.uri();
        String path = path(target);
        return new Request(msg.method().name(), target, path, query(target), msg.protocolVersion().text(),
                new Headers(fields), body);
    }

    /** The path of an origin-form or absolute-form target, without the query, as the shared codec splits it. */
    static String path(String target) {
        String rest = originPart(target);
        int q = rest.indexOf('?');
        return q < 0 ? rest : rest.substring(0, q);
    }

    static String query(String target) {
        String rest = originPart(target);
        int q = rest.indexOf('?');
        return q < 0 ? "" : rest.substring(q + 1);
    }

    private static String originPart(String target) {
        if (target.startsWith("/") || target.equals("*")) return target;
        int slash = target.indexOf('/', target.indexOf("//") + 2);
        return slash < 0 ? "/" : target.substring(slash);
    }

    /**
     * The response, with Server, Date, Content-Type, Content-Length, Connection, the timing headers and the
     * application's headers, in that order. A HEAD answer has the headers of GET and an empty body.
     */
    static FullHttpResponse response(Response response, Timing timing, boolean keepAlive, boolean head) {
        ByteBuf body = head || response.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(response.body());
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status(response.status()), body);
        HttpHeaders h = out.headers();
        h.add(SERVER, ResponseWriter.SERVER);
        h.add(DATE, HttpDate.now());
        if (response.contentType() != null) h.add(CONTENT_TYPE, response.contentType());
        h.add(CONTENT_LENGTH, Integer.toString(response.body().length));
        h.add(CONNECTION, keepAlive ? KEEP_ALIVE : CLOSE);
        h.add(Timing.ACCEPTED, Long.toString(timing.acceptedMicros()));
        h.add(Timing.STARTED, Long.toString(timing.startedMicros()));
        h.add(Timing.FINISHED, Long.toString(timing.finishedMicros()));
        h.add(Timing.SERVED_BY, timing.servedBy());
        for (Header header : response.headers()) {
            h.add(header.name(), header.value());
        }
        return out;
    }

    /** The status with the reason phrase every engine sends (Netty's differ for a few, such as 413). */
    static HttpResponseStatus status(int code) {
        return HttpResponseStatus.valueOf(code, Status.reason(code));
    }
}
