package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

func main() {
	token, out := os.Args[1], os.Args[3]
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel3()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "forum_session", Value: token, URL: "http://127.0.0.1:8112", HTTPOnly: &httpOnly}); err != nil {
		panic(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(os.Args[2]), chromedp.Sleep(time.Second)); err != nil {
		panic(err)
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		panic(err)
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	fmt.Println("title:", title)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		panic(err)
	}
}
