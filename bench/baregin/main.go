// Command baregin is the yardstick for bench/webhook.sh: a bare Gin server
// with one handler at the hotline endpoint's path that reads the body and
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
	e.POST("/api/v1/hotline/tickets", func(c *gin.Context) {
		if _, err := io.Copy(io.Discard, c.Request.Body); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"status": "queued"})
	})
	log.Fatal(http.ListenAndServe(*addr, e))
}
