#!/usr/bin/python3
"""A client written for PutPlace's v0.6 API (API-key era), in PutPlace's own style: it walks a folder, sends each
file's metadata to /put_file, uploads content to /upload_file/{sha256} when the server asks for it, reads records
back with /get_file/{sha256} and manages keys through /api_keys. It knows nothing about ufs.

Usage: ppclient.py <server url> <api key> <folder>     (prints a JSON summary on stdout, exits 1 on any failure)
"""
import hashlib
import json
import os
import socket
import sys

import httpx


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def metadata(path, hostname):
    st = os.lstat(path)
    return {
        "filepath": os.path.abspath(path),
        "hostname": hostname,
        "ip_address": "127.0.0.1",
        "sha256": sha256_of(path),
        "file_size": st.st_size,
        "file_mode": st.st_mode,
        "file_uid": st.st_uid,
        "file_gid": st.st_gid,
        "file_mtime": st.st_mtime,
        "file_atime": st.st_atime,
        "file_ctime": st.st_ctime,
        "is_symlink": False,
        "link_target": None,
    }


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(1)


def expect(response, status, what):
    if response.status_code != status:
        fail(f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}")
    return response.json()


def main():
    url, key, folder = sys.argv[1:4]
    hostname = socket.gethostname() + "-ppclient"
    summary = {"files": 0, "uploaded": 0, "skipped": 0}
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        expect(client.get("/"), 200, "GET /")
        health = expect(client.get("/health"), 200, "GET /health")
        summary["health"] = health["status"]

        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            meta = metadata(path, hostname)
            body = expect(client.post("/put_file", json=meta), 201, f"put_file {name}")
            summary["files"] += 1
            if body["upload_required"]:
                with open(path, "rb") as f:
                    r = client.post(
                        body["upload_url"],
                        params={"hostname": hostname, "filepath": meta["filepath"]},
                        files={"file": (name, f, "application/octet-stream")},
                    )
                up = expect(r, 200, f"upload_file {name}")
                if up["message"] != "File uploaded successfully" or up["sha256"] != meta["sha256"]:
                    fail(f"unexpected upload answer {up}")
                summary["uploaded"] += 1
            else:
                summary["skipped"] += 1
            got = expect(client.get(f"/get_file/{meta['sha256']}"), 200, f"get_file {name}")
            if not got["has_file_content"] and meta["file_size"] > 0:
                fail(f"{name}: has_file_content is false after upload")

        # A wrong hash in the URL is refused with 400, an unknown hash is 404 (PutPlace semantics).
        expect(client.get("/get_file/not-a-hash"), 400, "get_file bad hash")
        expect(client.get("/get_file/" + "0" * 64), 404, "get_file unknown")

        created = expect(client.post("/api_keys", json={"name": "ppclient", "description": "made by ppclient"}), 201, "create key")
        new_key = created["api_key"]
        if len(new_key) != 64:
            fail("api_key is not 64 characters")
        with httpx.Client(base_url=url, headers={"X-API-Key": new_key}, timeout=30) as other:
            expect(other.get("/get_file/" + "0" * 64), 404, "new key works")
            listed = expect(client.get("/api_keys"), 200, "list keys")
            mine = [k for k in listed if k["_id"] == created["_id"]]
            if not mine or "api_key" in mine[0] or mine[0]["last_used_at"] is None:
                fail(f"listed key looks wrong: {mine}")
            expect(client.put(f"/api_keys/{created['_id']}/revoke"), 200, "revoke key")
            revoked = other.get("/get_file/" + "0" * 64)
            if revoked.status_code != 401 or "detail" not in revoked.json():
                fail(f"revoked key: expected 401 with detail, got {revoked.status_code}")
            expect(client.delete(f"/api_keys/{created['_id']}"), 200, "delete key")
            expect(client.delete(f"/api_keys/{created['_id']}"), 404, "delete key again")
        no_key = httpx.get(url + "/get_file/" + "0" * 64)
        if no_key.status_code != 401:
            fail(f"no key: expected 401, got {no_key.status_code}")
        summary["keys"] = "ok"
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
