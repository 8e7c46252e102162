// Command baregin is the yardstick for bench/webhook.sh: a bare Gin server
// with a handler at each benchmarked endpoint's path that reads the body and
// answers 202, as fast as Gin answers anything. Comparing qunzhu's signed,
// stored, transactional intake with it shows what the store and the checks
// cost, on the same machine in the same run.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	accept := func(c *gin.Context) {
		if _, err := io.Copy(io.Discard, c.Request.Body); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"status": "queued"})
	}
	e.POST("/api/v1/hotline/tickets", accept)
	e.POST("/api/v1/messages", accept)
	e.POST("/api/v1/alertmanager/:route", accept)
	log.Fatal(http.ListenAndServe(*addr, e))
}
