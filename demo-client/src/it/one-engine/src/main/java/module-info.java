// The module path form of the README's example: it requires only the API; the engine is found through
// its module's `provides`, because dev.serverlab.api `uses` ServerEngine.
module com.example {
    requires dev.serverlab.api;
}
