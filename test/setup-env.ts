// Tests read behaviour, not logs: keep handler logs to warnings unless a run asks for more.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
