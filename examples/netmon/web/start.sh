#!/bin/sh
# Renders the status page from the site's settings, then serves it; exits promptly on SIGTERM.
version=$(cat /www/VERSION)
cat > /www/index.html <<HTML
<html><body><h1>netmon ${version}</h1><p>site: ${SITE_NAME}</p>
<p>last probe: <a href="/results/last.txt">results/last.txt</a></p></body></html>
HTML
httpd -f -p 8080 -h /www &
pid=$!
trap 'kill $pid; exit 0' TERM INT
wait $pid
